"""What ingest's outbox delivers: detections to search (``POST /v1/detections:batch``) and
reads to hotlist (``POST /v1/matches``). Both consumers are idempotent on the read id.

Each carries the recognition model version that made the read (R22: misreads are counted per
camera and per model version downstream); ``None`` where the reader did not say.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field


class Box(BaseModel):
    """A box in pixels of the submitted image, ``x, y`` its top-left corner."""

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(gt=0)
    h: int = Field(gt=0)


class DetectionRecord(BaseModel):
    """A read as search stores it (R15): the detection store's row, keyed by the read id."""

    id: uuid.UUID
    agency: str
    camera_id: uuid.UUID
    captured_at: AwareDatetime
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    plate: str
    region: str = "unknown"
    confidence: float = Field(ge=0, le=1)
    box: Box | None = None
    crop_key: str | None = None
    frame_key: str | None = None
    vehicle: dict[str, Any] = Field(default_factory=dict)
    model_version: str | None = Field(None, max_length=64)


class DetectionBatch(BaseModel):
    detections: list[DetectionRecord] = Field(min_length=1, max_length=1000)


class MatchRead(BaseModel):
    """A read as hotlist matches it."""

    read_id: uuid.UUID
    plate: str
    region: str = "unknown"
    region_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How sure the reader is of `region`; under hotlist's "
        "`HOTLIST_STATE_MATCH_MIN_CONFIDENCE` the state need not agree with an entry's. "
        "Absent: as sure as `region` says.",
    )
    confidence: float = Field(ge=0, le=1)
    captured_at: AwareDatetime
    camera_id: uuid.UUID
    agency: str
    crop_key: str | None = None
    model_version: str | None = Field(None, max_length=64)


class MatchBatch(BaseModel):
    reads: list[MatchRead] = Field(min_length=1, max_length=1000)


class Accepted(BaseModel):
    """A consumer's acknowledgement: how many it took (duplicates included, stored once)."""

    accepted: int
