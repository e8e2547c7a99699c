"""Reads, from the edge or from recognition: stored with their crop, and put on the outbox for
search and hotlist in the same transaction (nothing lost between them). A read made on the
camera arrives as a form, with its crop and perhaps an overview image, once however often it is
sent."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, fields
from datetime import datetime

import anyio
from fastapi import Request, UploadFile
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Box,
    DetectionRecord,
    MatchRead,
    Principal,
    ProblemFieldError,
    ValidationProblem,
    normalize_plate,
    on_rollback,
)

from ..context import IngestContext
from ..forms import CameraPosition
from ..frames import repository as frames
from ..frames.images import checked_upload, to_jpeg
from ..storage import crop_key, now
from . import repository
from .repository import ReadRow, SentRead
from .schemas import ReadAccepted


@dataclass(frozen=True, kw_only=True)
class NewRead(SentRead):
    """A read to store, as sent: its plate as read, its box and its crop image."""

    plate: str
    crop_jpeg: bytes
    box: Box | None = None


async def store_read(ctx: IngestContext, session: AsyncSession, request: Request, new: NewRead) -> uuid.UUID:
    """Writes the crop, then the read and its two outbox rows; the crop is removed again if the
    transaction does not commit."""
    read_id = uuid.uuid4()
    key = crop_key(new.agency, new.captured_at, str(read_id))
    await ctx.store.put(key, new.crop_jpeg, "image/jpeg")
    on_rollback(request, lambda: ctx.store.delete(key))
    # The read is stored as sent (``SentRead``), but for its plate (normalized), its box (as JSON)
    # and its crop (the key in the store, not the image).
    as_sent = {f.name: getattr(new, f.name) for f in fields(SentRead)}
    row = ReadRow(
        id=read_id,
        plate=normalize_plate(new.plate),
        box=new.box.model_dump() if new.box else None,
        crop_key=key,
        created_at=now(),
        **as_sent,
    )
    # Search's and hotlist's copies of the read are the stored row's own fields (R15).
    detection = DetectionRecord.model_validate(row, from_attributes=True)
    match = MatchRead.model_validate({**vars(row), "read_id": read_id})
    await repository.insert_read(session, row, detection, match)
    return read_id


@dataclass(frozen=True)
class EdgeReadForm:
    """The fields of a read made on the camera, as its form sends them (``box`` and ``vehicle``
    as JSON text)."""

    camera_id: uuid.UUID
    captured_at: datetime
    latitude: float
    longitude: float
    plate: str
    confidence: float
    region: str = "unknown"
    box: str | None = None
    vehicle: str | None = None
    model_version: str | None = None

    @property
    def position(self) -> CameraPosition:
        """Where and when the camera made the read: its overview frame's position."""
        return CameraPosition(self.camera_id, self.captured_at, self.latitude, self.longitude)


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


async def accept_edge_read(
    ctx: IngestContext,
    session: AsyncSession,
    request: Request,
    principal: Principal,
    form: EdgeReadForm,
    crop: UploadFile,
    overview: UploadFile | None,
) -> tuple[ReadAccepted, bool]:
    """The read's id and whether it is new: the same read sent again (same capture time, plate
    and crop) is the one stored first. An overview image is stored as a frame, done at once (the
    read is made: no recognition), and kept as the read's frame."""
    # frames.service imports this module at its top (recognition's reads go through store_read):
    # imported here, not there, so neither module ever meets the other half-loaded.
    from ..frames.service import authorized_camera, check_captured_at, upload

    await authorized_camera(session, principal, form.camera_id)
    check_captured_at(ctx, form.captured_at)
    box_value = _json_field("box", form.box, Box)
    vehicle_value = _json_field("vehicle", form.vehicle) or {}
    settings = ctx.settings
    crop_bytes = await crop.read(settings.max_image_bytes + 1)
    checked = await anyio.to_thread.run_sync(checked_upload, crop_bytes, "crop", settings)
    sent = f"{form.captured_at.isoformat()}|{form.plate}|{checked.sha256}"
    dedup = hashlib.sha256(sent.encode()).hexdigest()
    existing = await repository.read_by_dedup(session, form.camera_id, dedup)
    if existing is not None:
        return ReadAccepted(id=existing), False
    frame_id = frame_key = None
    if overview is not None:
        image = await overview.read(settings.max_image_bytes + 1)
        accepted, _ = await upload(ctx, session, request, principal, form.position, image)
        frame_key = await frames.finish_uploaded(session, principal.agency, accepted.id)
        assert frame_key is not None
        frame_id = accepted.id
    jpeg = await anyio.to_thread.run_sync(lambda: to_jpeg(checked.data))
    read_id = await store_read(
        ctx,
        session,
        request,
        NewRead(
            agency=principal.agency,
            camera_id=form.camera_id,
            captured_at=form.captured_at,
            latitude=form.latitude,
            longitude=form.longitude,
            plate=form.plate,
            region=form.region,
            confidence=form.confidence,
            source="edge",
            crop_jpeg=jpeg,
            box=Box.model_validate(box_value) if box_value else None,
            vehicle=vehicle_value,
            frame_id=frame_id,
            frame_key=frame_key,
            dedup_key=dedup,
            model_version=form.model_version or None,
        ),
    )
    return ReadAccepted(id=read_id), True
