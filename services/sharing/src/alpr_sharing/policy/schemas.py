"""API shapes of the agency policy beyond the shared ones (``AgencyPolicy``,
``AgencyPolicyVersion`` in alpr_common)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alpr_common import AgencyPolicy


class PolicyChange(BaseModel):
    """A new version: the whole policy (a part left out takes its strictest default), why, and
    from when (a later time publishes it for comment until then; R40)."""

    model_config = ConfigDict(extra="forbid")

    policy: AgencyPolicy
    reason: str = Field(min_length=1, max_length=2000, description="Why the policy changes.")
    effective_from: AwareDatetime | None = Field(
        None, description="When it takes force (default: now); never in the past."
    )


class PolicyDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=2000)


class PolicyRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, description="Why the change is rejected.")
