"""``POST /v1/reads``: reads made on the camera (edge), with their crop."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status
from pydantic import BaseModel, ValidationError

from alpr_common import (
    Access,
    Box,
    DbSession,
    Forbidden,
    FormText,
    ProblemFieldError,
    TrainingRequired,
    Unauthenticated,
    Unavailable,
    ValidationProblem,
    access,
    check_image,
    problem_responses,
)

from ..context import Ctx
from ..forms import Camera, CameraIdField, CapturedAtField, LatitudeField, LongitudeField
from ..frames import repository
from ..frames.images import to_jpeg
from ..frames.service import authorized_camera, check_captured_at, upload
from .service import NewRead, store_read

router = APIRouter(tags=["reads"])


class ReadAccepted(BaseModel):
    id: uuid.UUID


def _json_field(name: str, raw: str | None, model: type[BaseModel] | None = None) -> dict[str, object] | None:
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
        if model is not None:
            return model.model_validate(value).model_dump()
        if not isinstance(value, dict):
            raise ValueError("not an object")
        return value
    except (ValueError, ValidationError) as exc:
        raise ValidationProblem(
            f"`{name}` is not valid JSON of the expected shape.",
            errors=[ProblemFieldError(loc=["body", name], msg=str(exc)[:200])],
        ) from exc


@router.post(
    "/v1/reads",
    response_model=ReadAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": ReadAccepted, "description": "The same read again: already stored."},
        **problem_responses(Unauthenticated, TrainingRequired, Forbidden, ValidationProblem, Unavailable),
    },
    openapi_extra=access(Access.MACHINE),
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
    camera = await authorized_camera(session, principal, camera_id)
    check_captured_at(ctx, captured_at)
    box_value = _json_field("box", box, Box)
    vehicle_value = _json_field("vehicle", vehicle) or {}
    settings = ctx.settings
    crop_bytes = await crop.read(settings.max_image_bytes + 1)
    checked = await anyio.to_thread.run_sync(
        lambda: check_image(
            crop_bytes, field="crop", max_bytes=settings.max_image_bytes, max_pixels=settings.max_pixels
        )
    )
    dedup = hashlib.sha256(f"{captured_at.isoformat()}|{plate}|{checked.sha256}".encode()).hexdigest()
    existing = await repository.read_by_dedup(session, camera["id"], dedup)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return ReadAccepted(id=existing)
    frame_id = frame_key = None
    if overview is not None:
        accepted, _ = await upload(
            ctx,
            session,
            request,
            principal,
            camera_id=camera_id,
            captured_at=captured_at,
            latitude=latitude,
            longitude=longitude,
            heading=None,
            speed_kmh=None,
            lane=None,
            image=await overview.read(settings.max_image_bytes + 1),
        )
        frame = await repository.get(session, principal.agency, accepted.id)
        assert frame is not None
        await repository.finish(session, accepted.id, frame["created_at"])  # read on the edge: no recognition
        frame_id, frame_key = accepted.id, frame["object_key"]
    jpeg = await anyio.to_thread.run_sync(lambda: to_jpeg(checked.data))
    read_id = await store_read(
        ctx,
        session,
        request,
        NewRead(
            agency=principal.agency,
            camera_id=camera["id"],
            captured_at=captured_at,
            latitude=latitude,
            longitude=longitude,
            plate=plate,
            region=region,
            confidence=confidence,
            source="edge",
            crop_jpeg=jpeg,
            box=Box.model_validate(box_value) if box_value else None,
            vehicle=vehicle_value,
            frame_id=frame_id,
            frame_key=frame_key,
            dedup_key=dedup,
            model_version=model_version or None,
        ),
    )
    return ReadAccepted(id=read_id)
