"""API shapes of periodic sample audits (R21)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from alpr_common import Actor


class Finding(StrEnum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"


class AuditCreate(BaseModel):
    size: int = Field(
        10,
        ge=10,
        le=500,
        description="How many browsing accesses (searches and views) to draw (at least 10, R21).",
    )


class FindingIn(BaseModel):
    sequence: int = Field(ge=1, le=2**53, description="The sampled search's ledger sequence.")
    finding: Finding
    note: str = Field("", max_length=2000)


class SampledSearch(BaseModel):
    sequence: int
    occurred_at: str
    actor: Actor
    purpose: str | None
    case_number: str | None
    reason: str | None
    data: dict[str, Any]
    finding: Finding | None = None
    note: str | None = None
    recorded_by: dict[str, Any] | None = None
    recorded_at: datetime | None = None


class AuditProgress(BaseModel):
    total: int
    recorded: int
    compliant: int
    non_compliant: int


class AuditOut(BaseModel):
    id: uuid.UUID
    agency: str
    created_at: datetime
    created_by: dict[str, Any]
    period_from: datetime
    period_to: datetime
    requested: int
    available: int = Field(description="Browsing searches in the period (the sample is at most this many).")
    status: str = Field(description="`open` until every item has a finding, then `complete`.")
    progress: AuditProgress
    items: list[SampledSearch]
    retained_beyond_six_months: dict[str, Any] | None = Field(
        None, description="Data kept past six months and why, from search; null while search does not answer."
    )
