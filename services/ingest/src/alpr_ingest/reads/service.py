"""Reads, from the edge or from recognition: stored with their crop, and put on the outbox for
search and hotlist in the same transaction (nothing lost between them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import Box, DetectionRecord, MatchRead, normalize_plate, on_rollback

from ..context import IngestContext
from ..frames import repository
from ..storage import crop_key, now


@dataclass
class NewRead:
    agency: str
    camera_id: uuid.UUID
    captured_at: datetime
    latitude: float | None
    longitude: float | None
    plate: str
    region: str
    confidence: float
    source: str
    crop_jpeg: bytes
    box: Box | None = None
    region_confidence: float | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    vehicle: dict[str, Any] = field(default_factory=dict)
    frame_id: uuid.UUID | None = None
    frame_key: str | None = None
    dedup_key: str | None = None
    model_version: str | None = None  # R22: travels with the read to search and hotlist


async def store_read(ctx: IngestContext, session: AsyncSession, request: Request, new: NewRead) -> uuid.UUID:
    """Writes the crop, then the read and its two outbox rows; the crop is removed again if the
    transaction does not commit."""
    read_id = uuid.uuid4()
    key = crop_key(new.agency, new.captured_at, str(read_id))
    await ctx.store.put(key, new.crop_jpeg, "image/jpeg")
    on_rollback(request, lambda: ctx.store.delete(key))
    plate = normalize_plate(new.plate)
    stamp = now()
    row = {
        "id": read_id,
        "agency": new.agency,
        "camera_id": new.camera_id,
        "frame_id": new.frame_id,
        "source": new.source,
        "captured_at": new.captured_at,
        "latitude": new.latitude,
        "longitude": new.longitude,
        "plate": plate,
        "region": new.region,
        "confidence": new.confidence,
        "region_confidence": new.region_confidence,
        "box": new.box.model_dump() if new.box else None,
        "candidates": new.candidates,
        "vehicle": new.vehicle,
        "crop_key": key,
        "frame_key": new.frame_key,
        "dedup_key": new.dedup_key,
        "created_at": stamp,
        "model_version": new.model_version,
    }
    detection = DetectionRecord(
        id=read_id,
        agency=new.agency,
        camera_id=new.camera_id,
        captured_at=new.captured_at,
        latitude=new.latitude,
        longitude=new.longitude,
        plate=plate,
        region=new.region,
        confidence=new.confidence,
        box=new.box,
        crop_key=key,
        frame_key=new.frame_key,
        vehicle=new.vehicle,
        model_version=new.model_version,
    )
    match = MatchRead(
        read_id=read_id,
        plate=plate,
        region=new.region,
        confidence=new.confidence,
        captured_at=new.captured_at,
        camera_id=new.camera_id,
        agency=new.agency,
        crop_key=key,
        model_version=new.model_version,
    )
    await repository.insert_read(session, row, detection, match)
    return read_id
