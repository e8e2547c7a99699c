"""``/v1/holds``: legal holds and evidence exports (R17)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alpr_common import Action, AuditUnavailable, Conflict, DbSession, NotFound, change, view

from ..context import Ctx
from ..roles import Holder
from . import service
from .schemas import ExportOut, HoldCreate, HoldPublic

router = APIRouter(tags=["holds"])
_REFUSES = (NotFound, AuditUnavailable)


@router.post("/v1/holds", **change(Action.HOLD_CREATED, Action.SEARCH_EXECUTED, status=201, refuses=_REFUSES))
async def create_hold(ctx: Ctx, session: DbSession, principal: Holder, body: HoldCreate) -> HoldPublic:
    """Puts detections on legal hold: they and their images outlive retention (R17)."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/holds/{hold_id}", **view(Action.HOLD_VIEWED, refuses=_REFUSES))
async def get_hold(ctx: Ctx, session: DbSession, principal: Holder, hold_id: uuid.UUID) -> HoldPublic:
    """A hold and its held detections (the view is on the ledger first)."""
    return await service.view(ctx, session, principal, hold_id)


@router.post(
    "/v1/holds/{hold_id}:release",
    **change(Action.HOLD_RELEASED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def release_hold(ctx: Ctx, session: DbSession, principal: Holder, hold_id: uuid.UUID) -> HoldPublic:
    """Ends a hold; its detections fall under retention again."""
    return await service.release(ctx, session, principal, hold_id)


@router.post("/v1/holds/{hold_id}/export", **view(Action.HOLD_EXPORTED, refuses=_REFUSES))
async def export_hold(ctx: Ctx, session: DbSession, principal: Holder, hold_id: uuid.UUID) -> ExportOut:
    """Writes an evidence package (JSON, CSV, images, SHA-256 manifest) and answers its URL."""
    return await service.export(ctx, session, principal, hold_id)
