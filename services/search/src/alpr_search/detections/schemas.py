"""API shapes of detections and their counts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from alpr_common import Purpose


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
    state_match: Literal["exact", "unknown"] | None = Field(
        None,
        description=(
            "Only in the answer to a search with a `state`: `exact` when the detection's region is "
            "that state, `unknown` when the reader could not tell the state (region `unknown`), "
            "which such a search includes unless `include_unknown_state` is false (issue 21)."
        ),
    )


class CorrectionIn(BaseModel):
    """A misread corrected by a person (R19): the read as made stays in the record."""

    plate: str = Field(min_length=1, max_length=32)
    note: str = Field(min_length=1, max_length=1000)
    purpose: Purpose
    case_number: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=500)


class RetainedBeyond(BaseModel):
    count: int
    why: str


class CorrectionsBySource(BaseModel):
    camera_id: uuid.UUID
    model_version: str = Field(description="The recognition model version; `unknown` where not reported.")
    detections: int
    corrections: int = Field(description="Detections a person corrected as misread (R19).")


class SearchStats(BaseModel):
    agency: str
    detections_in_retention: int
    retained_beyond_six_months: RetainedBeyond
    corrections_by_source: list[CorrectionsBySource] = Field(
        description="R22: corrections per camera and recognition model version."
    )
