"""Periodic sample audits (R21): a random sample of at least ten detection-browsing accesses
(searches and views of every kind, issue 16) from the preceding six months, a finding per item,
and what is kept past six months."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import (
    Action,
    BeforeTime,
    Conflict,
    NotFound,
    Page,
    Principal,
    actor_of,
    decode_cursor,
    encode_cursor,
)

from ..context import AuditContext
from ..ledger.service import record_own
from . import repository
from .schemas import AuditOut, AuditProgress, Finding, FindingIn, SampledSearch


def _period(months: int, now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=round(30.44 * months)), now


async def create(ctx: AuditContext, conn: AsyncConnection, principal: Principal, size: int) -> AuditOut:
    now = datetime.now(UTC)
    start, end = _period(ctx.settings.sample_months, now)
    available = await repository.count_browsing(conn, principal.agency, start, end)
    sequences = await repository.draw_browsing(conn, principal.agency, start, end, size)
    audit_id = uuid.uuid4()
    await repository.insert_audit(
        conn,
        {
            "id": audit_id,
            "agency": principal.agency,
            "created_at": now,
            "created_by": actor_of(principal).model_dump(),
            "period_from": start,
            "period_to": end,
            "requested": size,
            "available": available,
        },
        sequences,
    )
    await record_own(
        ctx,
        principal,
        Action.AUDIT_CREATED,
        targets=[str(audit_id)],
        data={"size": size, "drawn": len(sequences), "available": available},
    )
    return await get(ctx, conn, principal, audit_id, audited=False)


async def _retained(ctx: AuditContext, agency: str) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(ctx.settings.stats_timeout_s):
            stats = await ctx.clients.search.stats(agency)
    except Exception:  # noqa: BLE001 - search may not answer; the report says so with null
        return None
    value = stats.get("retained_beyond_six_months")
    return value if isinstance(value, dict) else None


async def get(
    ctx: AuditContext,
    conn: AsyncConnection,
    principal: Principal,
    audit_id: uuid.UUID,
    *,
    audited: bool = True,
) -> AuditOut:
    row = await repository.get_audit(conn, audit_id, principal.agency)
    if row is None:
        raise NotFound()
    items = []
    for item in await repository.items_with_events(conn, audit_id):
        doc = json.loads(item.canonical)
        items.append(
            SampledSearch(
                sequence=item.sequence,
                occurred_at=doc["occurred_at"],
                actor=doc["actor"],
                purpose=doc.get("purpose"),
                case_number=doc.get("case_number"),
                reason=doc.get("reason"),
                data=doc.get("data") or {},
                finding=item.finding,
                note=item.note,
                recorded_by=item.recorded_by,
                recorded_at=item.recorded_at,
            )
        )
    recorded = [i for i in items if i.finding is not None]
    progress = AuditProgress(
        total=len(items),
        recorded=len(recorded),
        compliant=sum(1 for i in recorded if i.finding == Finding.COMPLIANT),
        non_compliant=sum(1 for i in recorded if i.finding == Finding.NON_COMPLIANT),
    )
    if audited:
        await record_own(ctx, principal, Action.LEDGER_QUERIED, targets=[str(audit_id)], data={"audit": True})
    return AuditOut(
        id=row.id,
        agency=row.agency,
        created_at=row.created_at,
        created_by=row.created_by,
        period_from=row.period_from,
        period_to=row.period_to,
        requested=row.requested,
        available=row.available,
        status="complete" if items and len(recorded) == len(items) else "open",
        progress=progress,
        items=items,
        retained_beyond_six_months=await _retained(ctx, principal.agency),
    )


async def list_audits(
    ctx: AuditContext, conn: AsyncConnection, principal: Principal, limit: int, cursor: str | None
) -> Page[AuditOut]:
    position = decode_cursor(cursor, BeforeTime)
    before = position.before if position else None
    rows = await repository.list_audits(conn, principal.agency, before, limit + 1)
    out = [await get(ctx, conn, principal, r.id, audited=False) for r in rows[:limit]]
    await record_own(ctx, principal, Action.LEDGER_QUERIED, data={"audits": True})
    nxt = encode_cursor(BeforeTime(before=rows[limit - 1].created_at)) if len(rows) > limit else None
    return Page[AuditOut](items=out, next_cursor=nxt)


async def record_finding(
    ctx: AuditContext, conn: AsyncConnection, principal: Principal, audit_id: uuid.UUID, body: FindingIn
) -> AuditOut:
    if await repository.get_audit(conn, audit_id, principal.agency) is None:
        raise NotFound()
    if not await repository.item_exists(conn, audit_id, body.sequence):
        raise NotFound()
    changed = await repository.set_finding(
        conn,
        audit_id,
        body.sequence,
        {
            "finding": str(body.finding),
            "note": body.note,
            "recorded_by": actor_of(principal).model_dump(),
            "recorded_at": datetime.now(UTC),
        },
    )
    if not changed:
        raise Conflict("A finding is already recorded for this search.")
    await record_own(
        ctx,
        principal,
        Action.AUDIT_FINDING_RECORDED,
        targets=[str(audit_id), str(body.sequence)],
        data={"finding": str(body.finding), "note": body.note},
    )
    return await get(ctx, conn, principal, audit_id, audited=False)
