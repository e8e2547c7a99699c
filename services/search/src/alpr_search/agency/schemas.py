"""API shapes of an agency's settings."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RetentionIn(BaseModel):
    retention_days: int = Field(
        ge=90,
        le=1825,
        description="R16: 90 days to 5 years, and within the floor and ceiling of the agency's "
        "policy once it has one (R33, issue 17).",
    )


class RetentionPublic(BaseModel):
    agency: str
    retention_days: int = Field(description="The period the purge applies to this agency.")
    source: str = Field(
        description="`policy` (the agency's policy in force, issue 17: it wins once one exists), "
        "`agency` (set here by its administrator), `default` (the service setting) or `strictest` "
        "(its policy could not be read: never shorter than the strictest default's year)."
    )
    updated_at: datetime | None
    policy_version: int = Field(0, description="The agency's policy version; 0 where it has none.")
    floor_days: int | None = Field(
        None, description="The policy's floor (R33); none without a policy (90 to 1,825 days then)."
    )
    ceiling_days: int | None = Field(None, description="The policy's ceiling (R33); none without a policy.")
