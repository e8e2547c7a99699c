"""Every SQL statement of sample audits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import ColumnElement, and_, exists, func, insert, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, FromRow

from ..ledger.canonical import utc_text
from ..tables import ledger, sample_audit_items, sample_audits
from .schemas import Audit

# R21's "detection browsing", of every kind (issue 16): searches (holds by search are recorded as
# searches too) and every view of detections, frames, holds, alerts and hotlist entries.
BROWSING_ACTIONS = (
    Action.SEARCH_EXECUTED,
    Action.DETECTION_VIEWED,
    Action.FRAME_VIEWED,
    Action.HOLD_VIEWED,
    Action.ALERT_VIEWED,
    Action.HOTLIST_ENTRY_VIEWED,
)
_BROWSING = and_(
    literal_column("event->>'action'").in_([a.value for a in BROWSING_ACTIONS]),
    literal_column("event->>'outcome'") == "allowed",
)


class AuditRow(Audit, FromRow):
    """A sample audit as stored; a scheduled one (R35) also its period's start, cadence and due
    date."""

    model_config = ConfigDict(frozen=True)

    period_start: datetime | None = None
    due_at: datetime | None = None
    cadence: str | None = None


@dataclass(frozen=True)
class ItemRow(FromRow):
    """A sampled event of an audit: its place in the ledger and the sample, the finding (None
    until recorded) and the event's canonical JSON as hashed."""

    audit_id: uuid.UUID
    sequence: int
    position: int
    finding: str | None
    note: str | None
    correction: str | None
    recorded_by: dict[str, Any] | None
    recorded_at: datetime | None
    canonical: str


def _in_period(agency: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        literal_column("event->>'agency'") == agency,
        _BROWSING,
        literal_column("event->>'occurred_at'") >= utc_text(start),
        literal_column("event->>'occurred_at'") < utc_text(end),
    )


async def count_browsing(conn: AsyncConnection, agency: str, start: datetime, end: datetime) -> int:
    return int(
        await conn.scalar(select(func.count()).select_from(ledger).where(_in_period(agency, start, end))) or 0
    )


async def draw_browsing(
    conn: AsyncConnection, agency: str, start: datetime, end: datetime, size: int
) -> list[int]:
    """A uniform random sample without repeats of the period's browsing accesses."""
    query = (
        select(ledger.c.sequence).where(_in_period(agency, start, end)).order_by(func.random()).limit(size)
    )
    return [r[0] for r in (await conn.execute(query)).all()]


async def insert_audit(conn: AsyncConnection, audit: AuditRow, sequences: list[int]) -> bool:
    """Inserts the audit and its sample; False (nothing inserted) when a scheduled audit of the
    same agency and period exists already."""
    inserted = await conn.execute(
        pg_insert(sample_audits)
        .values(audit.model_dump())
        .on_conflict_do_nothing(
            index_elements=["agency", "period_start"], index_where=sample_audits.c.period_start.isnot(None)
        )
    )
    if not inserted.rowcount:
        return False
    if sequences:
        await conn.execute(
            insert(sample_audit_items),
            [{"audit_id": audit.id, "sequence": s, "position": i} for i, s in enumerate(sequences)],
        )
    return True


async def get_audit(conn: AsyncConnection, audit_id: uuid.UUID, agency: str) -> AuditRow | None:
    query = select(sample_audits).where(sample_audits.c.id == audit_id, sample_audits.c.agency == agency)
    found = (await conn.execute(query)).mappings().first()
    return AuditRow.of(found) if found is not None else None


# An audit is open while one of its sampled items has no finding (one with nothing to sample
# is complete at once); overdue when open past its due date (R35).
_OPEN = exists().where(
    sample_audit_items.c.audit_id == sample_audits.c.id, sample_audit_items.c.finding.is_(None)
)


async def list_audits(
    conn: AsyncConnection,
    agency: str,
    before: datetime | None,
    limit: int,
    status: str | None = None,
    now: datetime | None = None,
) -> list[AuditRow]:
    query = select(sample_audits).where(sample_audits.c.agency == agency)
    if status == "open":
        query = query.where(_OPEN)
    elif status == "complete":
        query = query.where(~_OPEN)
    elif status == "overdue":
        query = query.where(_OPEN, sample_audits.c.due_at < now)
    if before is not None:
        query = query.where(sample_audits.c.created_at < before)
    query = query.order_by(sample_audits.c.created_at.desc()).limit(limit)
    return [AuditRow.of(m) for m in (await conn.execute(query)).mappings().all()]


async def agencies_on_ledger(conn: AsyncConnection) -> list[str]:
    """Every agency named on the ledger, and every agency audited before (its events may have
    been pruned), by a skip scan of the ledger's agency index (one probe per agency, not a scan
    of every event)."""
    on_ledger = await conn.execute(
        text(
            "WITH RECURSIVE a(agency) AS ("
            " SELECT min(event->>'agency') FROM audit.ledger WHERE event->>'agency' > ''"
            " UNION ALL"
            " SELECT (SELECT min(event->>'agency') FROM audit.ledger WHERE event->>'agency' > a.agency)"
            " FROM a WHERE a.agency IS NOT NULL"
            ") SELECT agency FROM a WHERE agency IS NOT NULL"
        )
    )
    audited = await conn.execute(select(sample_audits.c.agency).distinct())
    return sorted({r[0] for r in on_ledger.all()} | {r[0] for r in audited.all()})


async def lock_agency_schedule(conn: AsyncConnection, agency: str) -> None:
    """Serializes schedulers per agency for the rest of the transaction."""
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"alpr-audit-schedule:{agency}"},
    )


async def first_audit_at(conn: AsyncConnection, agency: str) -> datetime | None:
    value = await conn.scalar(
        select(func.min(sample_audits.c.created_at)).where(sample_audits.c.agency == agency)
    )
    return value if isinstance(value, datetime) else None


async def scheduled_since(conn: AsyncConnection, agency: str, start: datetime) -> bool:
    """Whether a scheduled audit of the agency is for a period starting at ``start`` or later."""
    query = select(sample_audits.c.id).where(
        sample_audits.c.agency == agency, sample_audits.c.period_start >= start
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def items_with_events(conn: AsyncConnection, audit_id: uuid.UUID) -> list[ItemRow]:
    query = (
        select(sample_audit_items, ledger.c.canonical)
        .join(ledger, ledger.c.sequence == sample_audit_items.c.sequence)
        .where(sample_audit_items.c.audit_id == audit_id)
        .order_by(sample_audit_items.c.position)
    )
    return [ItemRow.of(m) for m in (await conn.execute(query)).mappings().all()]


async def set_finding(
    conn: AsyncConnection, audit_id: uuid.UUID, sequence: int, values: dict[str, Any]
) -> bool:
    """Records a finding once; False when the item is not in the audit or already has one."""
    result = await conn.execute(
        update(sample_audit_items)
        .where(
            sample_audit_items.c.audit_id == audit_id,
            sample_audit_items.c.sequence == sequence,
            sample_audit_items.c.finding.is_(None),
        )
        .values(**values)
    )
    return bool(result.rowcount)


async def item_exists(conn: AsyncConnection, audit_id: uuid.UUID, sequence: int) -> bool:
    query = select(sample_audit_items.c.sequence).where(
        sample_audit_items.c.audit_id == audit_id, sample_audit_items.c.sequence == sequence
    )
    return (await conn.execute(query)).first() is not None


async def last_audit_at(conn: AsyncConnection, agency: str) -> datetime | None:
    value = await conn.scalar(
        select(func.max(sample_audits.c.created_at)).where(sample_audits.c.agency == agency)
    )
    return value if isinstance(value, datetime) else None
