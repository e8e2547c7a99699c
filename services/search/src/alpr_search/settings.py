"""Settings of the search service: its own carry the ``SEARCH_`` prefix."""

from __future__ import annotations

from pydantic import Field

from alpr_common import (
    DEFAULT_CASE_NUMBER_PATTERN,
    AgencyPolicy,
    ObjectStoreSettings,
    WarrantTier,
    settings_config,
)


class Settings(ObjectStoreSettings):
    model_config = settings_config("SEARCH_")

    # Issue 17: each agency's own policy in force (sharing's record) sets its search rules; these
    # three are only the rules of an agency without a policy of its own (version 0), and, for
    # ``max_search_days``, the bound of partners' searches through sharing. Their defaults are the
    # policy's strictest defaults.
    max_search_days: int = Field(90, ge=1, le=1825)
    case_number_required: bool = True
    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN
    # R16: retention per agency (90 days to 5 years).
    retention_days: int = Field(365, ge=90, le=1825)
    # Issue 17, warrant-style tiers: the tiers of an agency without a policy of its own (version 0),
    # as JSON (``SEARCH_DEFAULT_TIERS='[]'``: none); by default the policy's strictest tiers.
    default_tiers: list[WarrantTier] = Field(default_factory=lambda: AgencyPolicy().tiers, max_length=20)
    # How long a supervisor's approval of a search request may be used (once) after the decision.
    approval_valid_hours: int = Field(24, ge=1, le=720)
