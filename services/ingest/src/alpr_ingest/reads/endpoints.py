"""``POST /v1/reads``: reads made on the camera (edge), with their crop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status

from alpr_common import DbSession, FormText, Unavailable, machine

from ..context import Ctx
from ..forms import Camera, CameraIdField, CapturedAtField, LatitudeField, LongitudeField
from . import service
from .schemas import ReadAccepted

router = APIRouter(tags=["reads"])


@router.post(
    "/v1/reads",
    **machine(
        status=202,
        refuses=(Unavailable,),
        responses={200: {"model": ReadAccepted, "description": "The same read again: already stored."}},
    ),
)
async def post_read(
    request: Request,
    response: Response,
    ctx: Ctx,
    session: DbSession,
    principal: Camera,
    crop: Annotated[UploadFile, File(description="The plate crop (JPEG or PNG).")],
    camera_id: CameraIdField,
    captured_at: CapturedAtField,
    latitude: LatitudeField,
    longitude: LongitudeField,
    plate: Annotated[FormText, Form(min_length=1, max_length=32)],
    confidence: Annotated[float, Form(ge=0, le=1)],
    region: Annotated[FormText, Form(max_length=8)] = "unknown",
    box: Annotated[FormText | None, Form(description='JSON text `{"x", "y", "w", "h"}`.')] = None,
    vehicle: Annotated[
        FormText | None, Form(description="JSON text of vehicle attributes (make, model, color).")
    ] = None,
    overview: Annotated[UploadFile | None, File(description="Optional overview image.")] = None,
    model_version: Annotated[
        FormText | None,
        Form(max_length=64, description="The camera's reader model version (R22: accuracy per model)."),
    ] = None,
) -> ReadAccepted:
    """Stores a read made on the camera and sends it on to search and hotlist."""
    form = service.EdgeReadForm(
        camera_id=camera_id,
        captured_at=captured_at,
        latitude=latitude,
        longitude=longitude,
        plate=plate,
        confidence=confidence,
        region=region,
        box=box,
        vehicle=vehicle,
        model_version=model_version,
    )
    accepted, new = await service.accept_edge_read(ctx, session, request, principal, form, crop, overview)
    if not new:
        response.status_code = status.HTTP_200_OK
    return accepted
