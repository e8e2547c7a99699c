"""The agency policy record as every service reads it (issue 17): one agency's own rules for
search, warrant-style tiers, retention, sharing and audits, and its published SB 34 policy.

The sharing service owns the record (``GET /v1/agencies/{ori}/policy``); these are its wire
shapes. Every field is validated, and a field left out takes the strictest default the platform
can run with (``AgencyPolicy()`` is the policy of an agency that never set one)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._purpose import DEFAULT_CASE_NUMBER_PATTERN
from ._vocabulary import PROHIBITED_PURPOSES, AuthorizedPurpose

ORI = r"^[A-Z0-9]{2,32}$"
# R16: the platform's own bounds of a detection retention period (90 days to 5 years).
RETENTION_MIN_DAYS = 90
RETENTION_MAX_DAYS = 1825
# R21: a sample audit draws at least ten inquiries.
MIN_AUDIT_SAMPLE = 10


class _Strict(BaseModel):
    # A misspelt field is refused (422), never silently replaced by its default.
    model_config = ConfigDict(extra="forbid")


class SearchPolicy(_Strict):
    """R5, R6, R7, R8: what a detection search of this agency needs."""

    case_number_pattern: str = Field(
        DEFAULT_CASE_NUMBER_PATTERN,
        min_length=1,
        max_length=200,
        description="Regular expression a case number matches in full (R5).",
    )
    case_number_required: bool = Field(
        True, description="R5: browsing needs a case number; when false, a case number or a reason will do."
    )
    max_search_days: int = Field(90, ge=1, le=RETENTION_MAX_DAYS, description="Longest window of one search.")
    allowed_purposes: list[AuthorizedPurpose] = Field(
        default_factory=lambda: list(AuthorizedPurpose),
        min_length=1,
        description="R6: the authorized purposes this agency allows; a prohibited purpose (R7) never.",
    )

    @field_validator("case_number_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("allowed_purposes", mode="before")
    @classmethod
    def _never_prohibited(cls, value: Any) -> Any:
        """R7: the prohibited purposes can never be allowed, whatever the agency says."""
        if isinstance(value, list):
            banned = sorted({str(v) for v in value} & {p.value for p in PROHIBITED_PURPOSES})
            if banned:
                raise ValueError(f"prohibited purposes can never be allowed (R7): {', '.join(banned)}")
        return value

    @field_validator("allowed_purposes")
    @classmethod
    def _unique(cls, value: list[AuthorizedPurpose]) -> list[AuthorizedPurpose]:
        return sorted(set(value), key=list(AuthorizedPurpose).index)


class TierCondition(StrEnum):
    """Which searches need more than a purpose and a case number."""

    WINDOW_LONGER_THAN_DAYS = "window_longer_than_days"  # threshold: days
    AREA_CANVASS = "area_canvass"
    PARTIAL_PLATE = "partial_plate"
    ALL_CAMERAS_LONGER_THAN_HOURS = "all_cameras_longer_than_hours"  # threshold: hours


class TierRequirement(StrEnum):
    """What such a search then needs, weakest first."""

    SUPERVISOR_APPROVAL = "supervisor_approval"  # prior approval, decided like a sharing request
    LEGAL_PROCESS = "legal_process"  # warrant or court-order number, issuing court, date


_THRESHOLD_BOUNDS = {
    TierCondition.WINDOW_LONGER_THAN_DAYS: (1, RETENTION_MAX_DAYS),
    TierCondition.ALL_CAMERAS_LONGER_THAN_HOURS: (1, RETENTION_MAX_DAYS * 24),
}


class WarrantTier(_Strict):
    """A warrant-style tier: searches meeting ``condition`` need ``requires`` before they run."""

    condition: TierCondition
    threshold: int | None = Field(
        None,
        description="Days (`window_longer_than_days`) or hours (`all_cameras_longer_than_hours`); "
        "none for the other conditions.",
    )
    requires: TierRequirement = TierRequirement.LEGAL_PROCESS

    @model_validator(mode="after")
    def _threshold_fits(self) -> Self:
        bounds = _THRESHOLD_BOUNDS.get(self.condition)
        if bounds is None:
            if self.threshold is not None:
                raise ValueError(f"{self.condition.value} takes no threshold")
        elif self.threshold is None or not bounds[0] <= self.threshold <= bounds[1]:
            raise ValueError(f"{self.condition.value} needs a threshold from {bounds[0]} to {bounds[1]}")
        return self


def _default_tiers() -> list[WarrantTier]:
    # Strictest the platform runs with: a canvass of an area, or a plate followed across every
    # camera for more than a day, needs a supervisor's prior approval.
    return [
        WarrantTier(condition=TierCondition.AREA_CANVASS, requires=TierRequirement.SUPERVISOR_APPROVAL),
        WarrantTier(
            condition=TierCondition.ALL_CAMERAS_LONGER_THAN_HOURS,
            threshold=24,
            requires=TierRequirement.SUPERVISOR_APPROVAL,
        ),
    ]


class RetentionPolicy(_Strict):
    """R14, R16, R33: how long this agency keeps detections, alerts and hits."""

    floor_days: int = Field(
        365,
        ge=RETENTION_MIN_DAYS,
        le=RETENTION_MAX_DAYS,
        description="The law's floor for this agency (e.g. 365 under Gov. Code 34090.6; R33).",
    )
    ceiling_days: int = Field(
        365,
        ge=RETENTION_MIN_DAYS,
        le=RETENTION_MAX_DAYS,
        description="This agency's own ceiling (e.g. San Jose: 12 months; R33).",
    )
    detection_days: int = Field(
        365, description="R16: detections are purged after this many days; between floor and ceiling."
    )
    alert_days: int = Field(365, ge=1, le=36_500, description="R14: alerts not confirmed as hits.")
    hit_days: int | None = Field(
        365, ge=1, le=36_500, description="R14: confirmed hits; null keeps them indefinitely (Hayward)."
    )
    hits_keep_crop: bool = Field(
        False, description="A hit keeps its plate crop when its detection expires (R14)."
    )

    @model_validator(mode="after")
    def _within_bounds(self) -> Self:
        """R16, R33: the period lies between the law's floor and the agency's ceiling."""
        if self.floor_days > self.ceiling_days:
            raise ValueError(f"floor_days {self.floor_days} is above ceiling_days {self.ceiling_days} (R33)")
        if not self.floor_days <= self.detection_days <= self.ceiling_days:
            raise ValueError(
                f"detection_days {self.detection_days} is outside this agency's bounds: at least the "
                f"floor of {self.floor_days} days and at most the ceiling of {self.ceiling_days} days (R33)"
            )
        return self


class SharingPolicy(_Strict):
    """R24-R29: who may receive this agency's data."""

    host_state: str = Field("CA", pattern=r"^[A-Z]{2}$", description="R29: the agency's own state.")
    federal_allowed: bool = Field(False, description="R29: federal agencies may receive data.")
    out_of_state_allowed: bool = Field(False, description="R29: agencies of other states may.")
    denied_agencies: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="ORIs no purpose unlocks (e.g. immigration enforcement agencies).",
    )
    max_results: int = Field(100, ge=1, le=10_000, description="Most detections one release carries.")
    exigent_accepted: bool = Field(False, description="R25: exigent requests are accepted.")

    @field_validator("denied_agencies")
    @classmethod
    def _oris(cls, value: list[str]) -> list[str]:
        for ori in value:
            if not re.fullmatch(ORI, ori):
                raise ValueError(f"{ori!r} is not an ORI ({ORI})")
        return sorted(set(value))


class AuditCadence(StrEnum):
    """R21, R35: how often a sample audit is due, most frequent first."""

    QUARTERLY = "quarterly"  # San Leandro 418.6(c)
    SEMI_ANNUAL = "semi_annual"
    SEMI_ANNUAL_TWO_YEARS_THEN_ANNUAL = "semi_annual_two_years_then_annual"  # Alameda 462.3(b)5
    ANNUAL = "annual"  # Vallejo 462.7


class Auditor(StrEnum):
    SEPARATE_UNIT = "separate_unit"  # San Jose: a unit other than the administrators
    ALPR_ADMINISTRATOR = "alpr_administrator"  # San Leandro 418.6(c)


class AuditPolicy(_Strict):
    """R21, R35: the sample audits of this agency."""

    cadence: AuditCadence = AuditCadence.QUARTERLY
    auditor: Auditor = Field(
        Auditor.SEPARATE_UNIT, description="Who audits: the separation-of-duties rule follows it."
    )
    sample_size: int = Field(MIN_AUDIT_SAMPLE, ge=MIN_AUDIT_SAMPLE, le=1000, description="R21: at least 10.")


class PublishedPolicy(_Strict):
    """R32, R40: the usage and privacy policy the agency publishes, with the elements of Civil
    Code 1798.90.51(b) as fields; empty until the agency writes them."""

    authorized_purposes: str = Field("", max_length=10_000, description="(b)(1) authorized uses.")
    authorized_job_titles: list[str] = Field(
        default_factory=list, max_length=100, description="(b)(2) job titles of authorized users."
    )
    contractor_job_titles: list[str] = Field(
        default_factory=list, max_length=100, description="(b)(2) contractors' job titles."
    )
    custodian_name: str = Field("", max_length=200, description="(b)(4) the custodian or owner.")
    custodian_title: str = Field("", max_length=200)
    monitoring: str = Field("", max_length=10_000, description="(b)(3) how use is monitored.")
    sharing: str = Field("", max_length=10_000, description="(b)(2)(C) sharing rules.")
    accuracy: str = Field("", max_length=10_000, description="(b)(5) how accuracy is kept.")
    retention: str = Field("", max_length=10_000, description="(b)(6) the retention period.")
    text: str = Field("", max_length=50_000, description="The rest of the policy, free text.")


class AgencyPolicy(_Strict):
    """One agency's rules; every part left out takes its strictest default."""

    search: SearchPolicy = Field(default_factory=SearchPolicy)
    tiers: list[WarrantTier] = Field(default_factory=_default_tiers, max_length=20)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    sharing: SharingPolicy = Field(default_factory=SharingPolicy)
    audits: AuditPolicy = Field(default_factory=AuditPolicy)
    published: PublishedPolicy = Field(default_factory=PublishedPolicy)

    @field_validator("tiers")
    @classmethod
    def _one_per_condition(cls, value: list[WarrantTier]) -> list[WarrantTier]:
        seen = [t.condition for t in value]
        if len(seen) != len(set(seen)):
            raise ValueError("one tier per condition")
        return sorted(value, key=lambda t: list(TierCondition).index(t.condition))


class PolicyStatus(StrEnum):
    """Where a version stands (derived at reading time from its decision and the clock)."""

    DEFAULT = "default"  # version 0: the defaults of an agency that never set one
    PENDING_APPROVAL = "pending_approval"  # loosens a rule: waits for a commander
    SCHEDULED = "scheduled"  # approved, published for comment until effective_from
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"  # a newer version took force (or will, before this one could)
    STALE = "stale"  # pending, but a newer version was approved since: propose again
    REJECTED = "rejected"


class PolicyActor(BaseModel):
    sub: str
    name: str


class AgencyPolicyVersion(BaseModel):
    """One version of an agency's policy and its history: who proposed it, when, why, who
    approved or rejected it, and from when it is (or was) in force."""

    agency: str
    version: int = Field(description="1, 2, ...; 0 is the defaults of an agency that never set a policy.")
    status: PolicyStatus
    policy: AgencyPolicy
    reason: str | None = None
    effective_from: datetime | None = Field(
        None, description="When it was to take force; before then it is published for comment."
    )
    in_force_from: datetime | None = Field(
        None, description="When it takes (took) force: effective_from, or its approval if later."
    )
    loosens: list[str] = Field(
        default_factory=list, description="The rules it loosens against the version it replaces."
    )
    proposed_by: PolicyActor | None = None
    proposed_at: datetime | None = None
    decided_by: PolicyActor | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
