"""The SQL of the public figures: allowed searches per month and purpose from the ledger, and
the last complete sample audit. Counts and a date only, never an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, exists, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..tables import ledger, sample_audit_items, sample_audits


@dataclass(frozen=True)
class MonthRow:
    """Allowed searches in one calendar month (``YYYY-MM``, UTC) for one purpose."""

    month: str
    purpose: str
    searches: int


def _f(expr: str) -> ColumnClause[Any]:
    return literal_column(expr)


async def searches_by_month(conn: AsyncConnection, agency: str, since: str) -> list[MonthRow]:
    """Allowed searches per month and purpose of the agency's ``search.executed`` events that
    occurred at ``since`` (fixed-width UTC text) or later; the month is the UTC one."""
    month = func.substr(_f("event->>'occurred_at'"), 1, 7)
    purpose = func.coalesce(_f("event->>'purpose'"), "unspecified")
    query = (
        select(month, purpose, func.count())
        .select_from(ledger)
        .where(
            _f("event->>'agency'") == agency,
            _f("event->>'action'") == "search.executed",
            _f("event->>'outcome'") == "allowed",
            _f("event->>'occurred_at'") >= since,
        )
        .group_by(month, purpose)
        .order_by(month, purpose)
    )
    return [MonthRow(str(m), str(p), int(n)) for m, p, n in (await conn.execute(query)).all()]


async def last_audit_completed_at(conn: AsyncConnection, agency: str) -> datetime | None:
    """When the agency's latest complete sample audit was completed: the time of its last
    finding (an audit with nothing to sample is complete when made). An audit with an item still
    without a finding is open and does not count (R21, R35)."""
    items = sample_audit_items
    still_open = exists().where(items.c.audit_id == sample_audits.c.id, items.c.finding.is_(None))
    last_finding = (
        select(func.max(items.c.recorded_at)).where(items.c.audit_id == sample_audits.c.id).scalar_subquery()
    )
    query = select(func.max(func.coalesce(last_finding, sample_audits.c.created_at))).where(
        sample_audits.c.agency == agency, ~still_open
    )
    value = await conn.scalar(query)
    return value if isinstance(value, datetime) else None
