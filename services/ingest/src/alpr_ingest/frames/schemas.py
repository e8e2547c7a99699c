"""API shapes of frames (the work queue's and the purge's are in ``alpr_common``, shared with
their callers)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class FrameStatus(StrEnum):
    QUEUED = "queued"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"


class FrameAccepted(BaseModel):
    id: uuid.UUID
    status: FrameStatus


class FramePublic(BaseModel):
    id: uuid.UUID
    agency: str
    camera_id: uuid.UUID
    captured_at: datetime
    latitude: float | None
    longitude: float | None
    heading: float | None
    speed_kmh: float | None
    lane: int | None
    status: FrameStatus
    attempts: int
    width: int
    height: int
    content_type: str
    sha256: str
    created_at: datetime
    last_error: str | None = None
    image_url: str | None = Field(None, description="Presigned, short-lived URL of the image.")


class AgencyOldestFrame(BaseModel):
    agency: str
    oldest_captured_at: datetime


class OldestFrames(BaseModel):
    """Each agency with frames, and when its oldest frame was captured: what the retention purge
    needs to find every agency with frames past its period, read or not (R16)."""

    items: list[AgencyOldestFrame]
