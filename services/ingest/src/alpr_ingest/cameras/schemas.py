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
    created_at: datetime
    updated_at: datetime
