"""``/v1/mous`` (``alpr_admin`` of the host agency)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alpr_common import Action, AdminPrincipal, AuditUnavailable, Conflict, DbSession, NotFound, change, read

from ..context import Ctx
from . import service
from .schemas import MouCreate, MouPublic, StateChange

router = APIRouter(tags=["mous"])


@router.post("/v1/mous", **change(Action.MOU_CREATED, status=201, refuses=(AuditUnavailable,)))
async def create_mou(ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: MouCreate) -> MouPublic:
    """Drafts an MOU with a partner agency: dates, permitted purposes, hotlist sharing, the
    largest release, and its terms (R28). It allows nothing until activated."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/mous", **read())
async def list_mous(session: DbSession, principal: AdminPrincipal) -> list[MouPublic]:
    """The host agency's MOUs."""
    return await service.list_mous(session, principal)


def _move_route(verb: str, doc: str) -> None:
    """``POST /v1/mous/{mou_id}:<verb>``: the one state change, by verb, that ``doc`` describes
    (the endpoint is named ``<verb>_mou``, as its operation id has always been)."""

    async def move_mou(
        ctx: Ctx,
        session: DbSession,
        principal: AdminPrincipal,
        mou_id: uuid.UUID,
        body: StateChange | None = None,
    ) -> MouPublic:
        return await service.move(ctx, session, principal, mou_id, verb, body or StateChange())

    move_mou.__name__ = move_mou.__qualname__ = f"{verb}_mou"
    move_mou.__doc__ = doc
    router.post(
        f"/v1/mous/{{mou_id}}:{verb}",
        **change(Action.MOU_STATE_CHANGED, refuses=(NotFound, Conflict, AuditUnavailable)),
    )(move_mou)


_move_route("activate", "Puts a draft or suspended MOU in force (within its dates).")
_move_route("suspend", "Suspends an MOU: no request under it can be made, and no approved one released.")


@router.get("/v1/mous/{mou_id}", **read(refuses=(NotFound,)))
async def get_mou(session: DbSession, principal: AdminPrincipal, mou_id: uuid.UUID) -> MouPublic:
    """One MOU with its history."""
    return await service.get(session, principal, mou_id)
