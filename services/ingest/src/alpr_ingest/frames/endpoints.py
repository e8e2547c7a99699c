"""``/v1/frames``: camera uploads, purpose-bound views, the recognition work queue, purge."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status

from alpr_common import (
    Action,
    AdminPrincipal,
    AuditUnavailable,
    ClaimRequest,
    ClaimResponse,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    PurgeRequest,
    PurgeResult,
    PurposeProhibited,
    ReadsStored,
    ReadsSubmission,
    ServicePrincipal,
    Stated,
    Unavailable,
    machine,
    view,
)

from ..context import Ctx
from ..forms import Camera, CameraIdField, CameraPosition, CapturedAtField, LatitudeField, LongitudeField
from ..roles import FrameViewer
from . import service
from .schemas import FrameAccepted, FramePublic, FrameStatus, OldestFrames

router = APIRouter(tags=["frames"])


@router.post(
    "/v1/frames",
    **machine(
        status=202,
        refuses=(Unavailable,),
        responses={
            200: {"model": FrameAccepted, "description": "The same image from this camera: already queued."}
        },
    ),
)
async def upload_frame(
    request: Request,
    response: Response,
    ctx: Ctx,
    session: DbSession,
    principal: Camera,
    image: Annotated[UploadFile, File(description="JPEG or PNG, at most 10 MB and 40 megapixels.")],
    camera_id: CameraIdField,
    captured_at: CapturedAtField,
    latitude: LatitudeField,
    longitude: LongitudeField,
    heading: Annotated[float | None, Form(ge=0, lt=360)] = None,
    speed_kmh: Annotated[float | None, Form(ge=0, le=400)] = None,
    lane: Annotated[int | None, Form(ge=0, le=32)] = None,
) -> FrameAccepted:
    """Queues a camera frame for recognition; the same image again answers 200 with its id."""
    data = await image.read(ctx.settings.max_image_bytes + 1)
    position = CameraPosition(camera_id, captured_at, latitude, longitude, heading, speed_kmh, lane)
    accepted, created = await service.upload(ctx, session, request, principal, position, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return accepted


@router.get(
    "/v1/frames/{frame_id}",
    **view(Action.FRAME_VIEWED, refuses=(NotFound, PurposeProhibited, AuditUnavailable)),
)
async def get_frame(
    ctx: Ctx,
    session: DbSession,
    principal: FrameViewer,
    frame_id: uuid.UUID,
    stated: Stated,
) -> FramePublic:
    """A frame and a short-lived image URL, for a stated purpose; the view is audited first."""
    return await service.view(ctx, session, principal, frame_id, stated)


@router.get("/v1/frames", **view(Action.FRAME_VIEWED))
async def list_frames(
    ctx: Ctx,
    session: DbSession,
    principal: AdminPrincipal,
    status_filter: Annotated[FrameStatus | None, Query(alias="status")] = None,
    camera_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FramePublic]:
    """The agency's frames, newest first; ``status=failed`` lists the dead letters."""
    return await service.list_frames(ctx, session, principal, status_filter, camera_id, limit, cursor)


@router.post("/v1/frames:claim", **machine())
async def claim_frames(
    ctx: Ctx, session: DbSession, principal: ServicePrincipal, body: ClaimRequest
) -> ClaimResponse:
    """Leases up to ``max`` queued frames to a recognition worker, with presigned image URLs."""
    return await service.claim(ctx, session, body)


@router.post("/v1/frames/{frame_id}/reads", **machine(status=201, refuses=(NotFound, Conflict, Unavailable)))
async def submit_reads(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: ServicePrincipal,
    frame_id: uuid.UUID,
    body: ReadsSubmission,
) -> ReadsStored:
    """Stores the recognition result of a leased frame (zero or more reads) and marks it done."""
    return await service.submit_reads(ctx, session, request, frame_id, body)


@router.post("/v1/frames:purge", **machine(Action.FRAME_PURGED, refuses=(AuditUnavailable,)))
async def purge_frames(
    ctx: Ctx, session: DbSession, principal: ServicePrincipal, body: PurgeRequest
) -> PurgeResult:
    """Deletes frames, reads and their objects captured before a time, except held keys (internal)."""
    return await service.purge(ctx, session, principal, body)


@router.get("/v1/frames:oldest", **machine())
async def oldest_frames(session: DbSession, principal: ServicePrincipal) -> OldestFrames:
    """Each agency with frames and its oldest capture time, for the retention purge (internal)."""
    return await service.oldest_frames(session)
