"""``GET /v1/public-figures?agency=``: audit's counts for sharing's public agency page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alpr_common import MAX_FIGURE_MONTHS, AuditFigures, DbSession, ServicePrincipal, machine

from . import service

router = APIRouter(tags=["reports"])


@router.get("/v1/public-figures", **machine())
async def public_figures(
    session: DbSession,
    principal: ServicePrincipal,
    agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$", description="Agency ORI.")],
    months: Annotated[
        int, Query(ge=1, le=MAX_FIGURE_MONTHS, description="Calendar months, this one last.")
    ] = 12,
) -> AuditFigures:
    """Internal (role `service`: sharing's public page, issue 17 item 5; R23, R32): the agency's
    allowed searches per month (UTC) and purpose, and when its last sample audit was completed
    (R21, R35). Aggregate counts and a date only; never a plate, a person or a place."""
    return await service.public_figures(await session.connection(), agency, months)
