"""``/v1/hotlists``: designation by ``alpr_admin`` (R9); reading by the alert roles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

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
Admin = AdminPrincipal
Reader = HotlistStaff


@router.post(
    "/v1/hotlists",
    response_model=HotlistPublic,
    status_code=status.HTTP_201_CREATED,
    **change(Action.HOTLIST_CREATED, refuses=(Conflict, AuditUnavailable)),
)
async def create_hotlist(
    ctx: Ctx, session: DbSession, principal: Admin, body: HotlistCreate
) -> HotlistPublic:
    """Designates a hotlist of the admin's agency (R9)."""
    return await service.create(ctx, session, principal, body)


@router.get(
    "/v1/hotlists",
    response_model=Page[HotlistPublic],
    **read(),
)
async def list_hotlists(
    ctx: Ctx, session: DbSession, principal: Reader, limit: Limit = 50, cursor: Cursor = None
) -> Page[HotlistPublic]:
    """The agency's hotlists with their entry counts and freshness (R11)."""
    return await service.list_hotlists(ctx, session, principal, limit, cursor)


@router.get(
    "/v1/hotlists/{hotlist_id}",
    response_model=HotlistPublic,
    **read(refuses=(NotFound,)),
)
async def get_hotlist(
    ctx: Ctx, session: DbSession, principal: Reader, hotlist_id: uuid.UUID
) -> HotlistPublic:
    """One hotlist of the agency."""
    return await service.get(ctx, session, principal, hotlist_id)


@router.patch(
    "/v1/hotlists/{hotlist_id}",
    response_model=HotlistPublic,
    **change(Action.HOTLIST_UPDATED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def update_hotlist(
    ctx: Ctx, session: DbSession, principal: Admin, hotlist_id: uuid.UUID, body: HotlistUpdate
) -> HotlistPublic:
    """Renames a hotlist or changes its priority or alerting (audited)."""
    return await service.update(ctx, session, principal, hotlist_id, body)
