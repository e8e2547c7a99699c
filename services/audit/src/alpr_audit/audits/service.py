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
    RetainedBeyond,
    actor_of,
    decode_cursor,
    encode_cursor,
    found,
)

from ..context import AuditContext
from ..ledger.service import record_own
from . import repository
from .schemas import (
    AuditMemo,
    AuditOut,
    AuditProgress,
    AuditStatus,
    DataError,
    Finding,
    FindingIn,
    MemoSample,
    SampledSearch,
)


def sample_window(months: int, now: datetime) -> tuple[datetime, datetime]:
    """R21: the preceding ``months`` months, ending now."""
    return now - timedelta(days=round(30.44 * months)), now


async def draw_and_insert(
    conn: AsyncConnection,
    agency: str,
    now: datetime,
    sample_months: int,
    size: int,
    created_by: dict[str, Any],
    schedule: dict[str, Any] | None = None,
) -> tuple[uuid.UUID, int, int] | None:
    """Draws the sample and stores the audit: (id, drawn, available), or None when a scheduled
    audit of the same agency and period exists already."""
    start, end = sample_window(sample_months, now)
    available = await repository.count_browsing(conn, agency, start, end)
    sequences = await repository.draw_browsing(conn, agency, start, end, size)
    audit = repository.AuditRow(
        id=uuid.uuid4(),
        agency=agency,
        created_at=now,
        created_by=created_by,
        period_from=start,
        period_to=end,
        requested=size,
        available=available,
        **(schedule or {}),
    )
    if not await repository.insert_audit(conn, audit, sequences):
        return None
    return audit.id, len(sequences), available


async def create(ctx: AuditContext, conn: AsyncConnection, principal: Principal, size: int) -> AuditOut:
    now = datetime.now(UTC)
    made = await draw_and_insert(
        conn, principal.agency, now, ctx.settings.sample_months, size, actor_of(principal).model_dump()
    )
    if made is None:  # only a scheduled audit can meet another of its period
        raise RuntimeError("an audit started by hand was not stored")
    audit_id, drawn, available = made
    await record_own(
        ctx,
        principal,
        Action.AUDIT_CREATED,
        targets=[str(audit_id)],
        data={"size": size, "drawn": drawn, "available": available},
    )
    return await get(ctx, conn, principal, audit_id, audited=False)


async def _retained(ctx: AuditContext, agency: str) -> RetainedBeyond | None:
    try:
        async with asyncio.timeout(ctx.settings.stats_timeout_s):
            stats = await ctx.clients.search.stats(agency)
    except Exception:  # noqa: BLE001 - search may not answer; the report says so with null
        return None
    return stats.retained_beyond_six_months


async def get(
    ctx: AuditContext,
    conn: AsyncConnection,
    principal: Principal,
    audit_id: uuid.UUID,
    *,
    audited: bool = True,
) -> AuditOut:
    row = found(await repository.get_audit(conn, audit_id, principal.agency))
    if audited:
        await record_own(ctx, principal, Action.LEDGER_QUERIED, targets=[str(audit_id)], data={"audit": True})
    return await _audit_out(conn, row, await _retained(ctx, principal.agency))


async def _audit_out(
    conn: AsyncConnection, row: repository.AuditRow, retained: RetainedBeyond | None
) -> AuditOut:
    """An audit as its API shows it: its sampled searches, findings and progress, and what
    search keeps past six months (``retained``, asked once per request: it is the agency's)."""
    items = []
    for item in await repository.items_with_events(conn, row.id):
        doc = json.loads(item.canonical)
        items.append(
            SampledSearch(
                sequence=item.sequence,
                occurred_at=doc["occurred_at"],
                action=doc.get("action"),
                actor=doc["actor"],
                purpose=doc.get("purpose"),
                case_number=doc.get("case_number"),
                reason=doc.get("reason"),
                data=doc.get("data") or {},
                finding=item.finding,
                note=item.note,
                correction=item.correction,
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
    complete = len(recorded) == len(items)  # nothing sampled: complete at once
    done_at = max((i.recorded_at for i in recorded if i.recorded_at), default=None)
    return AuditOut(
        **dict(row),
        status="complete" if complete else "open",
        # R35: an audit not complete by its due date is overdue.
        overdue=not complete and row.due_at is not None and row.due_at < datetime.now(UTC),
        completed_at=(done_at or row.created_at) if complete else None,
        progress=progress,
        items=items,
        retained_beyond_six_months=retained,
    )


async def list_audits(
    ctx: AuditContext,
    conn: AsyncConnection,
    principal: Principal,
    limit: int,
    cursor: str | None,
    status: AuditStatus | None = None,
) -> Page[AuditOut]:
    position = decode_cursor(cursor, BeforeTime)
    before = position.before if position else None
    now = datetime.now(UTC)
    rows = await repository.list_audits(
        conn, principal.agency, before, limit + 1, str(status) if status else None, now
    )
    # What search keeps is the agency's, the same for every audit: asked once, not once per
    # audit (a page of 50 while search was down waited out its retries 50 times).
    retained = await _retained(ctx, principal.agency) if rows else None
    out = [await _audit_out(conn, r, retained) for r in rows[:limit]]
    data: dict[str, Any] = {"audits": True}
    if status:
        data["status"] = str(status)
    await record_own(ctx, principal, Action.LEDGER_QUERIED, data=data)
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
            "correction": body.correction,
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
        data={"finding": str(body.finding), "note": body.note, "correction": body.correction},
    )
    return await get(ctx, conn, principal, audit_id, audited=False)


async def memo(
    ctx: AuditContext, conn: AsyncConnection, principal: Principal, audit_id: uuid.UUID, fmt: str
) -> AuditMemo:
    """R35: the memo a complete audit ends with; 409 while findings are missing. It names the
    sampled records, so reading it is recorded as a view of the ledger."""
    audit = await get(ctx, conn, principal, audit_id, audited=False)
    if audit.status != "complete":
        raise Conflict(
            f"The audit is still open: {audit.progress.total - audit.progress.recorded} of "
            f"{audit.progress.total} sampled items have no finding yet."
        )
    auditors: dict[str, dict[str, Any]] = {}
    for item in audit.items:
        if item.recorded_by:
            auditors.setdefault(str(item.recorded_by.get("sub")), item.recorded_by)
    errors = [
        DataError(
            sequence=i.sequence,
            occurred_at=i.occurred_at,
            action=i.action,
            actor=i.actor,
            case_number=i.case_number,
            correction=i.correction,
            noted_by=i.recorded_by,
            noted_at=i.recorded_at,
        )
        for i in audit.items
        if i.correction
    ]
    rule = (await ctx.policies.policy(audit.agency)).audits.auditor
    await record_own(
        ctx, principal, Action.LEDGER_QUERIED, targets=[str(audit_id)], data={"memo": True, "format": fmt}
    )
    period = f"{audit.period_from:%Y-%m-%d} to {audit.period_to:%Y-%m-%d}"
    return AuditMemo(
        audit_id=audit.id,
        agency=audit.agency,
        subject=f"ALPR sample audit of {audit.agency}, detection browsing {period}",
        started_by=audit.created_by,
        auditors=list(auditors.values()),
        auditor_rule=str(rule),
        created_at=audit.created_at,
        period_from=audit.period_from,
        period_to=audit.period_to,
        cadence=audit.cadence,
        due_at=audit.due_at,
        completed_at=audit.completed_at,
        sample=MemoSample(requested=audit.requested, available=audit.available, drawn=len(audit.items)),
        summary=audit.progress,
        findings=audit.items,
        data_errors=errors,
        retained_beyond_six_months=audit.retained_beyond_six_months,
        generated_at=datetime.now(UTC),
    )
