"""``GET /v1/stats?agency=``: aggregate counts only (R23), never a record."""

from __future__ import annotations

from fastapi import APIRouter

from alpr_common import DbSession, SharingStats, StatsAgency, stats_route

from .clock import now
from .mous import repository as mous
from .public import repository as figures

router = APIRouter(tags=["stats"])


@stats_route(router, SharingStats)
async def get_stats(session: DbSession, agency: StatsAgency) -> SharingStats:
    """Partners with an MOU in force, and requests by status."""
    return SharingStats(
        agency=agency,
        sharing_partners=await mous.partners_in_force(session, agency, now()),
        requests_by_status=dict(await figures.requests_by_status(session, agency)),
    )
