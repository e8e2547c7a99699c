"""``GET /v1/stats?agency=``: aggregate counts only (R22, R23), never a record."""

from __future__ import annotations

from fastapi import APIRouter

from alpr_common import DbSession, SearchStats, StatsAgency, stats_route

from .context import Ctx
from .detections import service as detections

router = APIRouter(tags=["stats"])


@stats_route(router, SearchStats)
async def get_stats(ctx: Ctx, session: DbSession, agency: StatsAgency) -> SearchStats:
    """Counts for one agency: detections in retention, data kept past six months, corrections (R22)."""
    return await detections.stats(ctx, session, agency)
