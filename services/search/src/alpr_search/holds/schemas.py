"""API shapes of legal holds and evidence exports (R17)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ..detections.schemas import DetectionPublic


class HoldCreate(BaseModel):
    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    detection_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)


class HoldPublic(BaseModel):
    id: uuid.UUID
    agency: str
    case_number: str
    reason: str
    holder: dict[str, Any]
    created_at: datetime
    released_at: datetime | None = None
    released_by: dict[str, Any] | None = None
    items: list[DetectionPublic]


class ExportOut(BaseModel):
    hold_id: uuid.UUID
    key: str
    url: str = Field(description="Presigned, short expiry.")
    sha256: str = Field(description="SHA-256 of the package file.")
    files: int
