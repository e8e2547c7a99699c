"""API shapes of the SB 34 report and the public transparency page."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from alpr_common import CorrectionsBySource, MisreadsBySource


class Release(BaseModel):
    agency: str
    purpose: str
    count: int


class Searcher(BaseModel):
    """Who searched in the period, by name and badge (San Jose's access log names both), and
    how often: a count per person, never the searches themselves."""

    sub: str
    name: str
    badge: str | None
    searches: int


class AuditCounts(BaseModel):
    created: int
    findings: dict[str, int]


class AccuracyInputs(BaseModel):
    """R22: reading accuracy as the owners count it when the report is made (their current
    totals, not limited to the period); ``None`` where the owner did not answer."""

    misreads_by_source: list[MisreadsBySource] | None = Field(
        description="Hotlist: alerts checked and closed as misread, per camera and model version."
    )
    corrections_by_source: list[CorrectionsBySource] | None = Field(
        description="Search: detections and corrected misreads, per camera and model version."
    )


class Sb34Report(BaseModel):
    """Aggregate use of the system over a period (R23); counts only, never a record."""

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    agency: str
    searches_by_purpose: dict[str, int]
    searches_by_person: list[Searcher] = Field(
        description="Allowed searches per person (name and badge from the token; issue 16)."
    )
    refused_attempts: dict[str, int]
    hits_by_final_state: dict[str, int]
    hits_by_disposition: dict[str, int] = Field(
        description=(
            "R14: hits confirmed or closed in the period by disposition (`no_action`, `stop`, "
            "`arrest`, `vehicle_recovered`, `misread`; `unspecified` where none was recorded)."
        )
    )
    releases: list[Release]
    purges: int
    audits: AuditCounts
    accuracy: AccuracyInputs

    model_config = {"populate_by_name": True}


class TransparencyCounts(BaseModel):
    cameras: int | None
    detections_in_retention: int | None
    hits: int | None
    searches: int | None
    sharing_partners: int | None


class Transparency(BaseModel):
    """The published usage and privacy policy with aggregate statistics (R32)."""

    agency: str
    policy_text: str
    counts: TransparencyCounts
    last_audit_at: datetime | None
