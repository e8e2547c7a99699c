"""``/v1/holds``: legal holds and evidence exports (R17)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from alpr_common import (
    Action,
    AuditUnavailable,
    Conflict,
    DbSession,
    NotFound,
    Principal,
    Role,
    change,
    require_roles,
    view,
)

from ..context import Ctx
from . import service
from .schemas import ExportOut, HoldCreate, HoldPublic

router = APIRouter(tags=["holds"])
Holder = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.SUPERVISOR, Role.RECORDS))]
_REFUSES = (NotFound, AuditUnavailable)


@router.post(
    "/v1/holds",
    response_model=HoldPublic,
    status_code=status.HTTP_201_CREATED,
    **change(Action.HOLD_CREATED, Action.SEARCH_EXECUTED, refuses=_REFUSES),
)
async def create_hold(ctx: Ctx, session: DbSession, principal: Holder, body: HoldCreate) -> HoldPublic:
    """Puts detections on legal hold: they and their images outlive retention (R17)."""
    return await service.create(ctx, session, principal, body)


@router.get(
    "/v1/holds/{hold_id}",
    response_model=HoldPublic,
    **view(Action.HOLD_VIEWED, refuses=_REFUSES),
)
async def get_hold(ctx: Ctx, session: DbSession, principal: Holder, hold_id: uuid.UUID) -> HoldPublic:
    """A hold and its held detections (the view is on the ledger first)."""
    return await service.view(ctx, session, principal, hold_id)


@router.post(
    "/v1/holds/{hold_id}:release",
    response_model=HoldPublic,
    **change(Action.HOLD_RELEASED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def release_hold(ctx: Ctx, session: DbSession, principal: Holder, hold_id: uuid.UUID) -> HoldPublic:
    """Ends a hold; its detections fall under retention again."""
    return await service.release(ctx, session, principal, hold_id)


@router.post(
    "/v1/holds/{hold_id}/export",
    response_model=ExportOut,
    **view(Action.HOLD_EXPORTED, refuses=_REFUSES),
)
async def export_hold(ctx: Ctx, session: DbSession, principal: Holder, hold_id: uuid.UUID) -> ExportOut:
    """Writes an evidence package (JSON, CSV, images, SHA-256 manifest) and answers its URL."""
    return await service.export(ctx, session, principal, hold_id)
