"""``/v1/hotlists``: designation by ``alpr_admin`` (R9); reading by the alert roles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alpr_common import (
    Action,
    AdminPrincipal,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    read,
)

from ..context import Ctx
from ..roles import HotlistStaff
from . import service
from .schemas import HotlistCreate, HotlistPublic, HotlistUpdate

router = APIRouter(tags=["hotlists"])


@router.post(
    "/v1/hotlists", **change(Action.HOTLIST_CREATED, status=201, refuses=(Conflict, AuditUnavailable))
)
async def create_hotlist(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: HotlistCreate
) -> HotlistPublic:
    """Designates a hotlist of the admin's agency (R9)."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/hotlists", **read())
async def list_hotlists(
    ctx: Ctx, session: DbSession, principal: HotlistStaff, limit: Limit = 50, cursor: Cursor = None
) -> Page[HotlistPublic]:
    """The agency's hotlists with their entry counts and freshness (R11)."""
    return await service.list_hotlists(ctx, session, principal, limit, cursor)


@router.get("/v1/hotlists/{hotlist_id}", **read(refuses=(NotFound,)))
async def get_hotlist(
    ctx: Ctx, session: DbSession, principal: HotlistStaff, hotlist_id: uuid.UUID
) -> HotlistPublic:
    """One hotlist of the agency."""
    return await service.get(ctx, session, principal, hotlist_id)


@router.patch(
    "/v1/hotlists/{hotlist_id}",
    **change(Action.HOTLIST_UPDATED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def update_hotlist(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, hotlist_id: uuid.UUID, body: HotlistUpdate
) -> HotlistPublic:
    """Renames a hotlist or changes its priority or alerting (audited)."""
    return await service.update(ctx, session, principal, hotlist_id, body)
