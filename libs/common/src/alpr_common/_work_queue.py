"""The wire models of ingest's work queue and purge (issue 22: defined once, used by ingest's
routes and by the callers' typed client): recognition claims leased frames and posts their
reads; search's retention purge asks ingest to remove frames, reads and objects."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from ._pipeline import Box


class ClaimRequest(BaseModel):
    max: int = Field(16, ge=1, le=100)
    lease_seconds: int = Field(60, ge=5, le=3600)


class ClaimedFrame(BaseModel):
    frame_id: uuid.UUID
    lease_id: uuid.UUID
    image_url: str
    lease_expires_at: datetime
    agency: str
    camera_id: uuid.UUID
    captured_at: datetime


class ClaimResponse(BaseModel):
    items: list[ClaimedFrame]


class RecognizedCandidate(BaseModel):
    """Another reading of a submitted read's plate, with its confidence."""

    plate: str = Field(min_length=1, max_length=16)
    confidence: float = Field(ge=0, le=1)


class RecognizedRead(BaseModel):
    plate: str = Field(min_length=1, max_length=32)
    confidence: float = Field(ge=0, le=1)
    region: str = Field("unknown", max_length=8)
    region_confidence: float | None = Field(None, ge=0, le=1)
    box: Box
    candidates: list[RecognizedCandidate] = Field(default_factory=list, max_length=10)
    crop: str | None = Field(
        None, description="Base64 JPEG of the plate; cut from the frame by `box` when absent."
    )
    vehicle: dict[str, str] = Field(default_factory=dict)
    model_version: str | None = Field(
        None, max_length=64, description="The recognition model that made the read (R22: accuracy per model)."
    )


class ReadsSubmission(BaseModel):
    lease_id: uuid.UUID
    reads: list[RecognizedRead] = Field(default_factory=list, max_length=50)


class ReadsStored(BaseModel):
    frame_id: uuid.UUID
    read_ids: list[uuid.UUID]


class PurgeRequest(BaseModel):
    agency: str = Field(min_length=1, max_length=32)
    captured_before: AwareDatetime
    keep_keys: list[str] = Field(default_factory=list, max_length=100_000)
    keep_crops: list[str] = Field(
        default_factory=list,
        max_length=100_000,
        description="R14, issue 17: crop keys of confirmed hits that keep their crop: the read and "
        "its crop stay, its frame goes. Once the hit is purged, its key is no longer here and the "
        "next purge deletes them.",
    )


class HitCrops(BaseModel):
    """Hotlist's ``GET /v1/hits:crops?agency=``: the crop keys of the agency's confirmed hits
    that keep their crop past their detection (R14, issue 17)."""

    agency: str
    keys: list[str]


class PurgeResult(BaseModel):
    frames: int
    reads: int
    objects: int
