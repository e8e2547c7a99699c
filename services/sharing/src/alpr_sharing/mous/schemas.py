"""API shapes of MOUs."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from alpr_common import AuthorizedPurpose

from ..vocabulary import MouState


class MouCreate(BaseModel):
    agency_ori: str = Field(pattern=r"^[A-Z0-9]{2,32}$", description="The partner agency.")
    effective_from: AwareDatetime
    expires_at: AwareDatetime
    purposes: list[AuthorizedPurpose] = Field(min_length=1, max_length=20)
    share_hotlists: bool = Field(False, description="The partner may read our `GET /v1/shared-hotlist`.")
    max_results: int = Field(500, ge=1, le=10_000, description="At most this many detections per request.")
    terms: str = Field(min_length=1, max_length=100_000, description="The agreement's text (R28).")

    @model_validator(mode="after")
    def _window(self) -> MouCreate:
        if self.expires_at <= self.effective_from:
            raise ValueError("expires_at must come after effective_from")
        return self


class StateChange(BaseModel):
    note: str | None = Field(None, max_length=2000)


class Mou(BaseModel):
    """An MOU (R28): its dates, purposes and limits and its state (the stored record, and the
    head of the API shape)."""

    id: uuid.UUID
    host_agency: str
    agency_ori: str
    effective_from: datetime
    expires_at: datetime
    purposes: list[str]
    share_hotlists: bool
    max_results: int
    terms: str
    state: MouState


class MouPublic(Mou):
    in_force: bool = Field(description="Active and within its dates: requests under it may be made.")
    history: list[dict[str, object]]
    created_at: datetime
    updated_at: datetime
