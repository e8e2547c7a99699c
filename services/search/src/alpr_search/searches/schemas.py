"""API shapes of purpose-bound searches (R5-R8)."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, Field

from alpr_common import Purpose

from ..detections.schemas import DetectionPublic


class Area(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=100_000)


class Vehicle(BaseModel):
    make: str | None = Field(None, max_length=40)
    color: str | None = Field(None, max_length=20)
    type: str | None = Field(None, max_length=20)


class SearchRequest(BaseModel):
    """Purpose, case number and criteria. Purpose and time range are checked by the service
    (not by validation) so that a search missing them is refused *and recorded* (R5, R7)."""

    purpose: Purpose | None = None
    case_number: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=2000)
    plate: str | None = Field(
        None, max_length=32, description="Full or partial; `*` any run, `?` one character (R8)."
    )
    state: str | None = Field(None, max_length=8, description="Filters on the detection's region.")
    from_: AwareDatetime | None = Field(None, alias="from")
    to: AwareDatetime | None = None
    camera_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    area: Area | None = None
    vehicle: Vehicle | None = None
    agency: str | None = Field(None, max_length=32, description="Service callers only: the host agency.")
    sharing_request_id: uuid.UUID | None = Field(
        None, description="Service callers only: the sharing request."
    )
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=512)

    model_config = {"populate_by_name": True}


class SearchResponse(BaseModel):
    search_id: uuid.UUID
    items: list[DetectionPublic]
    next_cursor: str | None = None
