"""``/v1/mous`` (``alpr_admin`` of the host agency)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from alpr_common import Action, AdminPrincipal, AuditUnavailable, Conflict, DbSession, NotFound, change, read

from ..context import Ctx
from . import service
from .schemas import MouCreate, MouPublic, StateChange

router = APIRouter(tags=["mous"])
Admin = AdminPrincipal
_MOVE_REFUSES = (NotFound, Conflict, AuditUnavailable)


@router.post(
    "/v1/mous",
    response_model=MouPublic,
    status_code=status.HTTP_201_CREATED,
    **change(Action.MOU_CREATED, refuses=(AuditUnavailable,)),
)
async def create_mou(ctx: Ctx, session: DbSession, principal: Admin, body: MouCreate) -> MouPublic:
    """Drafts an MOU with a partner agency: dates, permitted purposes, hotlist sharing, the
    largest release, and its terms (R28). It allows nothing until activated."""
    return await service.create(ctx, session, principal, body)


@router.get(
    "/v1/mous",
    response_model=list[MouPublic],
    **read(),
)
async def list_mous(session: DbSession, principal: Admin) -> list[MouPublic]:
    """The host agency's MOUs."""
    return await service.list_mous(session, principal)


@router.post(
    "/v1/mous/{mou_id}:activate",
    response_model=MouPublic,
    **change(Action.MOU_STATE_CHANGED, refuses=_MOVE_REFUSES),
)
async def activate_mou(
    ctx: Ctx, session: DbSession, principal: Admin, mou_id: uuid.UUID, body: StateChange | None = None
) -> MouPublic:
    """Puts a draft or suspended MOU in force (within its dates)."""
    return await service.move(ctx, session, principal, mou_id, "activate", body or StateChange())


@router.post(
    "/v1/mous/{mou_id}:suspend",
    response_model=MouPublic,
    **change(Action.MOU_STATE_CHANGED, refuses=_MOVE_REFUSES),
)
async def suspend_mou(
    ctx: Ctx, session: DbSession, principal: Admin, mou_id: uuid.UUID, body: StateChange | None = None
) -> MouPublic:
    """Suspends an MOU: no request under it can be made, and no approved one released."""
    return await service.move(ctx, session, principal, mou_id, "suspend", body or StateChange())


@router.get(
    "/v1/mous/{mou_id}",
    response_model=MouPublic,
    **read(refuses=(NotFound,)),
)
async def get_mou(session: DbSession, principal: Admin, mou_id: uuid.UUID) -> MouPublic:
    """One MOU with its history."""
    return await service.get(session, principal, mou_id)
