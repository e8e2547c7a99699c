"""API shapes of search requests (issue 17, warrant-style tiers)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alpr_common import Actor, Area, Purpose

from ..searches.schemas import VehicleCriteria


class SearchCriteria(BaseModel):
    """The criteria of the search asked for, as its ``POST /v1/searches`` body will carry them:
    the search runs on the approval only with the very same criteria."""

    plate: str | None = Field(
        None, max_length=32, description="Full or partial; `*` any run, `?` one character."
    )
    state: str | None = Field(None, max_length=8)
    include_unknown_state: bool = True
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    camera_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    area: Area | None = None
    vehicle: VehicleCriteria | None = None

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class ApprovalCreate(BaseModel):
    """A search request: the search's purpose, case number, reason and criteria, and why it
    needs to run (for the supervisor who decides)."""

    purpose: Purpose
    case_number: str | None = Field(None, max_length=64, description="As the search will carry it (R5).")
    reason: str | None = Field(None, max_length=2000, description="As the search will carry it.")
    justification: str = Field(
        min_length=10, max_length=4000, description="Why this search is needed, for the supervisor."
    )
    criteria: SearchCriteria

    model_config = ConfigDict(extra="forbid")


class ApprovalDecisionIn(BaseModel):
    approve: bool
    note: str = Field(min_length=1, max_length=2000, description="The supervisor's reasons.")

    model_config = ConfigDict(extra="forbid")


class ApprovalStatus(StrEnum):
    """Where a search request stands (derived at reading time from its decision, its use and the
    clock)."""

    PENDING = "pending"
    APPROVED = "approved"  # and still usable, once, until ``expires_at``
    REJECTED = "rejected"
    USED = "used"  # its search ran
    EXPIRED = "expired"  # approved, never used, past ``expires_at``


class ApprovalPublic(BaseModel):
    id: uuid.UUID
    agency: str
    status: ApprovalStatus
    purpose: Purpose
    case_number: str | None
    reason: str | None
    justification: str
    criteria: SearchCriteria
    tiers: list[str] = Field(
        default_factory=list, description="The agency's warrant-style tiers the search falls in, when asked."
    )
    requested_by: Actor
    created_at: datetime
    decided_by: Actor | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    expires_at: datetime | None = Field(None, description="An approval is usable, once, until then.")
    used_at: datetime | None = None
    used_by_search: uuid.UUID | None = None


class ApprovalPage(BaseModel):
    items: list[ApprovalPublic]
