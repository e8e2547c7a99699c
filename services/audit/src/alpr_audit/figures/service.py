"""Audit's figures for an agency's public page (issue 17, item 5; R23, R32): allowed searches
per calendar month (UTC) and purpose over the last ``months`` months, the current one last, and
when the last sample audit was completed (R21, R35). Counts and a date, never an event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import AuditFigures, MonthlySearches

from ..ledger.canonical import utc_text
from . import repository


def months_back(today: datetime, months: int) -> list[str]:
    """The ``months`` calendar months (``YYYY-MM``, UTC) ending with today's, oldest first."""
    at = today.astimezone(UTC)
    index = at.year * 12 + at.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


async def public_figures(conn: AsyncConnection, agency: str, months: int) -> AuditFigures:
    counted = months_back(datetime.now(UTC), months)
    first = datetime.fromisoformat(f"{counted[0]}-01T00:00:00+00:00")
    rows = await repository.searches_by_month(conn, agency, utc_text(first))
    return AuditFigures(
        agency=agency,
        months=counted,
        searches_by_month=[
            MonthlySearches.model_validate(r, from_attributes=True) for r in rows if r.month in counted
        ],
        last_audit_completed_at=await repository.last_audit_completed_at(conn, agency),
    )
