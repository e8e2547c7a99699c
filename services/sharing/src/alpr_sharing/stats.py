"""``GET /v1/stats?agency=``: aggregate counts only (R23), never a record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from alpr_common import (
    DbSession,
    Forbidden,
    NotFound,
    Principal,
    Role,
    TrainingRequired,
    Unauthenticated,
    problem_responses,
    require_roles,
)

from .clock import now
from .tables import mous, requests

router = APIRouter(tags=["stats"])
StatsReader = Annotated[Principal, Depends(require_roles(Role.SERVICE, Role.AUDITOR, Role.ALPR_ADMIN))]


class SharingStats(BaseModel):
    agency: str
    sharing_partners: int
    requests_by_status: dict[str, int]


@router.get(
    "/v1/stats",
    response_model=SharingStats,
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, NotFound),
)
async def get_stats(
    session: DbSession, principal: StatsReader, agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$")]
) -> SharingStats:
    """Partners with an MOU in force, and requests by status."""
    if not principal.has_any(Role.SERVICE) and agency != principal.agency:
        raise NotFound()
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
