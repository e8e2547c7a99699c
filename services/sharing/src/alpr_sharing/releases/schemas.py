"""API shapes of requests, decisions and releases."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from alpr_common import Area, DetectionPublic, Person, Purpose, SharedEntry

from ..vocabulary import RequestStatus


class Scope(BaseModel):
    plate: str = Field(
        min_length=1, max_length=32, description="Full or partial (`*` any run, `?` one character, R8)."
    )
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    area: Area | None = None

    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _window(self) -> Scope:
        if self.to <= self.from_:
            raise ValueError("`to` must come after `from`")
        return self


class RequestCreate(BaseModel):
    requester_name: str = Field(min_length=1, max_length=200, description="The requesting person (R24).")
    purpose: Purpose = Field(description="Prohibited purposes (R7) are accepted, then refused and recorded.")
    case_number: str | None = Field(None, max_length=64, description="When applicable (R24).")
    scope: Scope
    exigent: bool = False
    justification: str | None = Field(
        None, max_length=4000, description="Required for an exigent request (R25)."
    )
    target_agency: str | None = Field(
        None, pattern=r"^[A-Z0-9]{2,32}$", description="The host agency; optional when there is only one."
    )
    agency_ori: str | None = Field(
        None, pattern=r"^[A-Z0-9]{2,32}$", description="`records` staff only: the requesting partner."
    )

    @model_validator(mode="after")
    def _exigent(self) -> RequestCreate:
        if self.exigent and not (self.justification or "").strip():
            raise ValueError("an exigent request needs a justification")
        return self


class DecisionKind(StrEnum):
    APPROVE = "approve"
    DENY = "deny"


class DecisionIn(BaseModel):
    decision: DecisionKind
    note: str | None = Field(None, max_length=4000)


class FiledRequest(BaseModel):
    """Who asked whom for what under which MOU (R24): the head of a request as stored and as
    shown."""

    id: uuid.UUID
    host_agency: str
    agency_ori: str
    mou_id: uuid.UUID | None
    requester_name: str
    filed_by: Person
    purpose: str
    case_number: str | None


class RequestPublic(FiledRequest):
    scope: dict[str, Any]
    exigent: bool
    justification: str | None
    status: RequestStatus
    refusal_reason: str | None
    refusal_detail: str | None
    decided_by: Person | None
    decided_at: datetime | None
    decision_note: str | None
    released_count: int
    last_released_at: datetime | None
    release_until: datetime | None = Field(
        description="Approved requests: results can be fetched until then."
    )
    created_at: datetime


class Results(BaseModel):
    request_id: uuid.UUID
    items: list[DetectionPublic] = Field(description="Detections as `POST /v1/searches` answers them.")
    next_cursor: str | None = None
    max_results: int = Field(
        description="The most detections this release carries (its pages together): the MOU's "
        "`max_results` or the host agency's policy's `sharing.max_results`, whichever is smaller."
    )
    capped: bool = Field(
        False, description="More detections matched the scope than `max_results`: the release stops there."
    )


class SharedHotlist(BaseModel):
    """The partner feed: hotlist's shareable entries of every host whose MOU shares hotlists."""

    items: list[SharedEntry]
