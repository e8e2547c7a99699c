"""API shapes of detections."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class DetectionPublic(BaseModel):
    """A detection as investigators see it (R15). No owner data exists here (R31)."""

    id: uuid.UUID = Field(description="The read id.")
    plate: str
    plate_corrected: str | None = None
    region: str
    confidence: float
    captured_at: datetime
    camera_id: uuid.UUID
    latitude: float | None
    longitude: float | None
    vehicle: dict[str, str] = Field(default_factory=dict)
    crop_url: str | None = Field(None, description="Presigned, short expiry.")
    frame_url: str | None = Field(None, description="Presigned, short expiry.")
