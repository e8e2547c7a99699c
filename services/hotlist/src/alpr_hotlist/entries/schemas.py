"""API shapes of hotlist entries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from alpr_common import Person

from ..vocabulary import EntryStatus, Origin

STATE_PATTERN = r"^[A-Za-z]{2}$"


class Vehicle(BaseModel):
    make: str | None = Field(None, max_length=40)
    model: str | None = Field(None, max_length=40)
    color: str | None = Field(None, max_length=40)
    year: int | None = Field(None, ge=1900, le=2100)


class EntryCreate(BaseModel):
    plate: str = Field(
        min_length=1, max_length=24, description="Full or partial: `*` any run of characters, `?` one (R8)."
    )
    state: str = Field(pattern=STATE_PATTERN, description="Issuing state or province, two letters.")
    reason: str | None = Field(None, max_length=500)
    case_number: str = Field(min_length=1, max_length=64, description="The related case (R12).")
    synopsis: str = Field(min_length=1, max_length=2000, description="Why the vehicle is sought (R12).")
    expires_at: AwareDatetime | None = Field(None, description="Default: the service's local entry lifetime.")
    shareable: bool = Field(False, description="Offered to partners whose MOU shares hotlists.")
    plate_type: str | None = Field(None, max_length=8)
    vehicle: Vehicle = Field(default_factory=Vehicle)

    @field_validator("state")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class EntryUpdate(BaseModel):
    plate: str | None = Field(None, min_length=1, max_length=24)
    state: str | None = Field(None, pattern=STATE_PATTERN)
    reason: str | None = Field(None, max_length=500)
    case_number: str | None = Field(None, min_length=1, max_length=64)
    synopsis: str | None = Field(None, min_length=1, max_length=2000)
    expires_at: AwareDatetime | None = None
    shareable: bool | None = None
    plate_type: str | None = Field(None, max_length=8)
    vehicle: Vehicle | None = None

    @field_validator("state")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class Decision(BaseModel):
    note: str | None = Field(None, max_length=2000)


class PendingUpdate(BaseModel):
    changes: dict[str, Any]
    by: Person
    at: datetime


class EntryPublic(BaseModel):
    id: uuid.UUID
    hotlist_id: uuid.UUID
    origin: Origin
    plate: str
    state: str
    reason: str | None
    case_number: str | None
    synopsis: str | None
    expires_at: datetime | None
    shareable: bool
    plate_type: str | None
    vehicle: Vehicle
    reason_code: str | None
    ori: str | None
    ncic_number: str | None
    entered_on: date | None
    status: EntryStatus
    entered_by: Person | None
    approved_by: Person | None
    approved_at: datetime | None
    pending_update: PendingUpdate | None = Field(
        description="A change awaiting a supervisor's approval; the entry matches as it was until then (R12)."
    )
    refreshed_at: datetime
    created_at: datetime
    updated_at: datetime
