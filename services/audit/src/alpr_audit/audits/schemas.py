"""API shapes of periodic sample audits (R21)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from alpr_common import Actor, RetainedBeyond


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


class AuditStatus(StrEnum):
    """The listing's ``status`` filter."""

    OPEN = "open"  # an item has no finding yet
    COMPLETE = "complete"  # every item has its finding
    OVERDUE = "overdue"  # open past its due date (R35)


class FindingIn(BaseModel):
    sequence: int = Field(ge=1, le=2**53, description="The sampled search's ledger sequence.")
    finding: Finding
    note: str = Field("", max_length=2000)
    correction: str | None = Field(
        None,
        max_length=2000,
        description="R35: a data error found in this record (a misread plate, a wrong case number) "
        "to be corrected; the memo lists every one.",
    )


class SampledSearch(BaseModel):
    sequence: int
    occurred_at: str
    action: str | None = None
    actor: Actor
    purpose: str | None
    case_number: str | None
    reason: str | None
    data: dict[str, Any]
    finding: Finding | None = None
    note: str | None = None
    correction: str | None = None
    recorded_by: dict[str, Any] | None = None
    recorded_at: datetime | None = None


class AuditProgress(BaseModel):
    total: int
    recorded: int
    compliant: int
    non_compliant: int


class Audit(BaseModel):
    """A sample audit: whose, who started it, the period sampled and the sample asked for and
    available (the stored record, and the head of the API shape)."""

    id: uuid.UUID
    agency: str
    created_at: datetime
    created_by: dict[str, Any]
    period_from: datetime
    period_to: datetime
    requested: int
    available: int = Field(description="Browsing searches in the period (the sample is at most this many).")


class AuditOut(Audit):
    status: str = Field(
        description="`open` until every item has a finding, then `complete` (at once when there "
        "was nothing to sample)."
    )
    period_start: datetime | None = Field(
        None, description="The period a scheduled audit is for (R35); null for one started by hand."
    )
    cadence: str | None = Field(None, description="The agency's audit cadence that scheduled it.")
    due_at: datetime | None = Field(None, description="When a scheduled audit is due to be complete.")
    overdue: bool = Field(False, description="Open past `due_at`.")
    completed_at: datetime | None = Field(None, description="When its last finding was recorded.")
    progress: AuditProgress
    items: list[SampledSearch]
    retained_beyond_six_months: RetainedBeyond | None = Field(
        None, description="Data kept past six months and why, from search; null while search does not answer."
    )


class MemoSample(BaseModel):
    requested: int
    available: int = Field(description="Browsing accesses in the period.")
    drawn: int


class DataError(BaseModel):
    """R35: a data error the audit found, to be corrected (Vallejo 462.7, Montclair 462.6(e))."""

    sequence: int
    occurred_at: str
    action: str | None
    actor: Actor
    case_number: str | None
    correction: str
    noted_by: dict[str, Any] | None
    noted_at: datetime | None


class AuditMemo(BaseModel):
    """The memo an audit ends with (R35): to the chief, with who audited, the sample, the dates,
    each finding and the data errors to correct."""

    audit_id: uuid.UUID
    agency: str
    to: str = "Chief of Police"
    subject: str
    started_by: dict[str, Any]
    auditors: list[dict[str, Any]] = Field(description="Everyone who recorded a finding.")
    auditor_rule: str = Field(
        description="Who audits under the agency's policy: `separate_unit` or `alpr_administrator`."
    )
    created_at: datetime
    period_from: datetime
    period_to: datetime
    cadence: str | None
    due_at: datetime | None
    completed_at: datetime | None
    sample: MemoSample
    summary: AuditProgress
    findings: list[SampledSearch]
    data_errors: list[DataError]
    retained_beyond_six_months: RetainedBeyond | None
    generated_at: datetime
