"""``/v1/agencies`` (``alpr_admin``): partner agencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from alpr_common import Action, AdminPrincipal, AuditUnavailable, Conflict, DbSession, NotFound, change, read

from ..context import Ctx
from . import service
from .schemas import ORI_PATTERN, AgencyCreate, AgencyPublic, AgencyUpdate

router = APIRouter(tags=["agencies"])
Ori = Annotated[str, Path(pattern=ORI_PATTERN)]


@router.post(
    "/v1/agencies", **change(Action.AGENCY_CREATED, status=201, refuses=(Conflict, AuditUnavailable))
)
async def create_agency(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: AgencyCreate
) -> AgencyPublic:
    """Registers a partner agency with its kind (R24, R26), state and federal status (R29)."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/agencies", **read())
async def list_agencies(session: DbSession, principal: AdminPrincipal) -> list[AgencyPublic]:
    """The partner agencies the caller's agency registered."""
    return await service.list_agencies(session, principal)


@router.get("/v1/agencies/{ori}", **read(refuses=(NotFound,)))
async def get_agency(session: DbSession, principal: AdminPrincipal, ori: Ori) -> AgencyPublic:
    """One partner agency the caller's agency registered (another host's: 404)."""
    return await service.get(session, principal, ori)


@router.patch(
    "/v1/agencies/{ori}", **change(Action.AGENCY_UPDATED, refuses=(NotFound, Conflict, AuditUnavailable))
)
async def update_agency(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, ori: Ori, body: AgencyUpdate
) -> AgencyPublic:
    """Changes a partner agency (audited)."""
    return await service.update(ctx, session, principal, ori, body)
