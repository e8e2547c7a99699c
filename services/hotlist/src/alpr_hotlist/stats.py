"""``GET /v1/stats?agency=``: aggregate counts only (R22, R23), never a record."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import DbSession, HotlistStats, MisreadsBySource, StatsAgency, stats_route

from .alerts.repository import counts_by_state, misreads_by_source
from .clock import now
from .entries import repository as entries
from .hotlists import repository as hotlists
from .vocabulary import AlertState

router = APIRouter(tags=["stats"])


async def compute(session: AsyncSession, agency: str) -> HotlistStats:
    n_lists = await hotlists.count(session, agency)
    entry_counts = await entries.counts(session, agency, now())
    by_state = await counts_by_state(session, agency)
    checked = sum(n for state, n in by_state.items() if state != AlertState.ALERT)
    return HotlistStats(
        agency=agency,
        hotlists=n_lists,
        active_entries=entry_counts.active,
        pending_entries=entry_counts.pending,
        hits=sum(by_state.values()),
        hits_by_state=by_state,
        misread_rate=round(by_state.get(AlertState.MISREAD, 0) / checked, 4) if checked else None,
        misreads_by_source=[
            MisreadsBySource.model_validate(r, from_attributes=True)
            for r in await misreads_by_source(session, agency)
        ],
    )


@stats_route(router, HotlistStats)
async def get_stats(session: DbSession, agency: StatsAgency) -> HotlistStats:
    """Counts for one agency: lists, entries, alerts by state and the misread rate (R22)."""
    return await compute(session, agency)
