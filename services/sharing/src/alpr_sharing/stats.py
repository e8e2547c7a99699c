"""``GET /v1/stats?agency=``: aggregate counts only (R23), never a record."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select

from alpr_common import (
    Access,
    DbSession,
    Forbidden,
    NotFound,
    SharingStats,
    StatsAgency,
    TrainingRequired,
    Unauthenticated,
    access,
    problem_responses,
)

from .clock import now
from .tables import mous, requests

router = APIRouter(tags=["stats"])


@router.get(
    "/v1/stats",
    response_model=SharingStats,
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, NotFound),
    openapi_extra=access(Access.READ),
)
async def get_stats(session: DbSession, agency: StatsAgency) -> SharingStats:
    """Partners with an MOU in force, and requests by status."""
    stamp = now()
    partners = await session.scalar(
        select(func.count(func.distinct(mous.c.agency_ori))).where(
            mous.c.host_agency == agency,
            mous.c.state == "active",
            mous.c.effective_from <= stamp,
            mous.c.expires_at > stamp,
        )
    )
    rows = await session.execute(
        select(requests.c.status, func.count())
        .where(requests.c.host_agency == agency)
        .group_by(requests.c.status)
    )
    return SharingStats(
        agency=agency,
        sharing_partners=int(partners or 0),
        requests_by_status={s: int(n) for s, n in rows.all()},
    )
