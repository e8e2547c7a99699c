"""API shapes of cameras."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class CameraKind(StrEnum):
    FIXED = "fixed"
    MOBILE = "mobile"


class CameraStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class CameraCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: CameraKind
    client_id: str = Field(min_length=1, max_length=256, description="The device's OIDC client id.")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    status: CameraStatus = CameraStatus.ACTIVE

    @model_validator(mode="after")
    def _position(self) -> CameraCreate:
        if self.kind == CameraKind.FIXED and (self.latitude is None or self.longitude is None):
            raise ValueError("a fixed camera needs latitude and longitude")
        if self.kind == CameraKind.MOBILE and (self.latitude is not None or self.longitude is not None):
            raise ValueError("a mobile camera has no fixed position")
        return self


class CameraUpdate(BaseModel):
    """The fields to change; a field left out stays as it is. ``name`` and ``status`` cannot be
    emptied (``null`` is 422, issue 19), nor a fixed camera's position (checked in the service)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    status: CameraStatus | None = None
    expected_interval_s: int | None = Field(
        None,
        ge=1,
        le=7 * 24 * 3600,
        description="Seconds the camera may be silent in normal operation (camera health); "
        "`null` learns it from the camera's last week.",
    )
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _not_null(self) -> CameraUpdate:
        for name in ("name", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class CameraPublic(BaseModel):
    id: uuid.UUID
    agency: str
    name: str
    kind: CameraKind
    client_id: str
    latitude: float | None
    longitude: float | None
    status: CameraStatus
    expected_interval_s: int | None = None
    created_at: datetime
    updated_at: datetime


class HealthState(StrEnum):
    OK = "ok"
    QUIET = "quiet"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    INACTIVE = "inactive"


class CheckResult(StrEnum):
    OK = "ok"
    FAULT = "fault"


class CameraCheckIn(BaseModel):
    """A shift check of one camera (002, Alameda 462.3(b)4): what the person found."""

    result: CheckResult
    note: str | None = Field(None, max_length=1000)


class CameraCheckPublic(BaseModel):
    id: uuid.UUID
    camera_id: uuid.UUID
    result: CheckResult
    note: str | None
    checked_by: str = Field(description="The checker's name.")
    checked_at: datetime


class CameraHealth(BaseModel):
    """One camera judged against its own rhythm (see the camera-health section of the README)."""

    camera_id: uuid.UUID
    name: str
    kind: CameraKind
    state: HealthState
    last_frame_at: datetime | None
    last_read_at: datetime | None
    silent_s: float | None = Field(description="Seconds since the last frame or read arrived.")
    expected_interval_s: float | None = Field(description="Set by an administrator, or learned.")
    expected_interval_learned: bool
    frames_per_hour: float = Field(description="Over the last 24 hours.")
    reads_per_hour: float = Field(description="Over the last 24 hours.")
    frames_without_read: float | None = Field(
        description="Share of the last 24 hours' recognised frames with no read."
    )
    frames_without_read_norm: float | None = Field(description="The same share over the 6 days before.")
    model_version: str | None = Field(description="The recognition model of the camera's latest read.")
    clock_skew_s: float | None = Field(
        description="Arrival minus capture time, median of the latest 100 frames (or edge reads)."
    )
    last_check_at: datetime | None
    last_check_by: str | None
    last_check_result: CheckResult | None


class CameraHealthList(BaseModel):
    checked_at: datetime
    counts: dict[HealthState, int]
    cameras: list[CameraHealth]
