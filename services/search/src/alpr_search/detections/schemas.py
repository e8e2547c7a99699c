"""API shapes of detections and their counts: a detection and the store's counts are wire models
of ``alpr_common`` (other services read them; issue 22, item 1), re-exported here."""

from __future__ import annotations

from pydantic import BaseModel, Field

from alpr_common import CorrectionsBySource, DetectionPublic, Purpose, RetainedBeyond, SearchStats

__all__ = ["CorrectionIn", "CorrectionsBySource", "DetectionPublic", "RetainedBeyond", "SearchStats"]


class CorrectionIn(BaseModel):
    """A misread corrected by a person (R19): the read as made stays in the record."""

    plate: str = Field(min_length=1, max_length=32)
    note: str = Field(min_length=1, max_length=1000)
    purpose: Purpose
    case_number: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=500)
