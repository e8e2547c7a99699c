"""``/v1/cameras`` (alpr_admin): registration of fixed and mobile units."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alpr_common import (
    Action,
    AdminPrincipal,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbReader,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    read,
)

from ..context import Ctx
from ..roles import Checker
from . import service
from .schemas import (
    CameraCheckIn,
    CameraCheckPublic,
    CameraCreate,
    CameraHealthList,
    CameraPublic,
    CameraUpdate,
)

router = APIRouter(tags=["cameras"])


@router.post("/v1/cameras", **change(Action.CAMERA_CREATED, status=201, refuses=(Conflict, AuditUnavailable)))
async def create_camera(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: CameraCreate
) -> CameraPublic:
    """Registers a camera of the admin's agency; its device uploads with its own client id."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/cameras", **read())
async def list_cameras(
    session: DbSession, principal: AdminPrincipal, limit: Limit = 50, cursor: Cursor = None
) -> Page[CameraPublic]:
    """The agency's cameras."""
    return await service.list_cameras(session, principal, limit, cursor)


@router.get("/v1/cameras/health", **read())
async def camera_health(ctx: Ctx, reader: DbReader, principal: Checker) -> CameraHealthList:
    """Each camera of the agency: `ok`, `quiet`, `degraded`, `offline` (or `inactive`), judged
    against its own rhythm, with its rates, model version, clock skew and last shift check."""
    return await service.health_table(reader, principal.agency, ctx.settings)


@router.post(
    "/v1/cameras/{camera_id}/checks",
    **change(Action.CAMERA_CHECKED, status=201, refuses=(NotFound, AuditUnavailable)),
)
async def check_camera(
    ctx: Ctx, session: DbSession, principal: Checker, camera_id: uuid.UUID, body: CameraCheckIn
) -> CameraCheckPublic:
    """Records a shift check of a camera (who, when, what was found); on the ledger."""
    return await service.record_check(ctx, session, principal, camera_id, body)


@router.get("/v1/cameras/{camera_id}", **read(refuses=(NotFound,)))
async def get_camera(session: DbSession, principal: AdminPrincipal, camera_id: uuid.UUID) -> CameraPublic:
    """One camera of the agency."""
    return await service.get(session, principal, camera_id)


@router.patch(
    "/v1/cameras/{camera_id}", **change(Action.CAMERA_UPDATED, refuses=(NotFound, Conflict, AuditUnavailable))
)
async def update_camera(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, camera_id: uuid.UUID, body: CameraUpdate
) -> CameraPublic:
    """Renames, moves, activates or deactivates a camera (audited)."""
    return await service.update(ctx, session, principal, camera_id, body)
