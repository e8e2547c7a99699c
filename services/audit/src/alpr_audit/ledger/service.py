"""The ledger's rules: record (fail closed), query (scoped to the auditor's agency and itself
audited), verify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import (
    Action,
    AuditEventIn,
    AuditReceipt,
    AuditUnavailable,
    BeforeSequence,
    Page,
    Principal,
    audit_event,
    decode_cursor,
    encode_cursor,
    normalize_plate_pattern,
)

from ..context import AuditContext
from . import repository
from .canonical import utc_text
from .schemas import EventOut, VerifyOut
from .verification import verify_ledger


async def record(
    ctx: AuditContext, events: list[AuditEventIn], submitted_by: Principal
) -> list[AuditReceipt]:
    """Appends events; if they cannot be written the caller gets 503 and nothing happened."""
    try:
        return await ctx.writer.append(events, submitted_by)
    except Exception as exc:
        raise AuditUnavailable("The events could not be written to the ledger.") from exc


async def record_own(ctx: AuditContext, principal: Principal, action: Action, **fields: Any) -> AuditReceipt:
    """Records an access to the audit service's own API (auditors are audited too)."""
    receipts = await record(ctx, [audit_event(principal, action, source="audit", **fields)], ctx.itself)
    return receipts[0]


@dataclass(frozen=True)
class EventFilters:
    action: Action | None = None
    actor: str | None = None
    plate: str | None = None
    case_number: str | None = None
    purpose: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def as_data(self) -> dict[str, Any]:
        return {k: (utc_text(v) if isinstance(v, datetime) else str(v)) for k, v in vars(self).items() if v}


async def list_events(
    ctx: AuditContext,
    conn: AsyncConnection,
    principal: Principal,
    filters: EventFilters,
    limit: int,
    cursor: str | None,
) -> Page[EventOut]:
    position = decode_cursor(cursor, BeforeSequence)
    before = position.before if position else None
    query = repository.events_query(
        agency=principal.agency,
        action=str(filters.action) if filters.action else None,
        actor=filters.actor,
        plate=normalize_plate_pattern(filters.plate) if filters.plate else None,
        case_number=filters.case_number,
        purpose=filters.purpose,
        outcome=filters.outcome,
        since=utc_text(filters.since) if filters.since else None,
        until=utc_text(filters.until) if filters.until else None,
        before_sequence=before,
        limit=limit + 1,
    )
    rows = await repository.fetch_events(conn, query)
    items = [EventOut.from_row(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(BeforeSequence(before=items[-1].sequence)) if len(rows) > limit and items else None
    )
    # The auditor's query is on the ledger before any result leaves (fail closed).
    await record_own(
        ctx,
        principal,
        Action.LEDGER_QUERIED,
        data=filters.as_data(),
        targets=[str(i.sequence) for i in items[:50]],
    )
    return Page[EventOut](items=items, next_cursor=next_cursor)


async def verify(
    ctx: AuditContext, conn: AsyncConnection, principal: Principal, first: int | None, last: int | None
) -> VerifyOut:
    result = await verify_ledger(conn, ctx.trusted_keys, first, last)
    await record_own(
        ctx,
        principal,
        Action.LEDGER_VERIFIED,
        data={
            "from": first,
            "to": last,
            "ok": result.ok,
            "checked": result.checked,
            "first_broken_sequence": result.first_broken_sequence,
        },
    )
    return VerifyOut(ok=result.ok, checked=result.checked, first_broken_sequence=result.first_broken_sequence)
