"""``/v1/detections``: single views and corrections of the agency's detections, batch intake
from ingest."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alpr_common import (
    Accepted,
    Action,
    AuditUnavailable,
    DbSession,
    DetectionBatch,
    NotFound,
    PurposeProhibited,
    ServicePrincipal,
    Stated,
    change,
    machine,
    view,
)

from ..context import Ctx
from ..roles import Investigator
from . import service
from .schemas import CorrectionIn, DetectionPublic

router = APIRouter(tags=["detections"])
_REFUSES = (NotFound, PurposeProhibited, AuditUnavailable)


@router.get("/v1/detections/{detection_id}", **view(Action.DETECTION_VIEWED, refuses=_REFUSES))
async def get_detection(
    ctx: Ctx,
    session: DbSession,
    principal: Investigator,
    detection_id: uuid.UUID,
    stated: Stated,
) -> DetectionPublic:
    """One detection of the agency, for a stated purpose; the view is audited first."""
    return await service.view(ctx, session, principal, detection_id, stated)


@router.post(
    "/v1/detections/{detection_id}/corrections",
    **change(Action.DETECTION_CORRECTED, refuses=_REFUSES),
)
async def correct_detection(
    ctx: Ctx, session: DbSession, principal: Investigator, detection_id: uuid.UUID, body: CorrectionIn
) -> DetectionPublic:
    """Corrects a misread (R19); the original read stays visible and on the ledger."""
    return await service.correct(ctx, session, principal, detection_id, body)


@router.post("/v1/detections:batch", **machine())
async def post_detections(session: DbSession, principal: ServicePrincipal, body: DetectionBatch) -> Accepted:
    """Detections from ingest's outbox; idempotent on id (internal)."""
    return await service.ingest_batch(session, body)
