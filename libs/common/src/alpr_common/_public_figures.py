"""The wire model of audit's figures for an agency's public page (issue 17, item 5; R23, R32):
audit's ``GET /v1/public-figures?agency=`` (service token only) answers it and sharing's
``/public/agencies/{ori}`` draws it. Aggregate counts and a date only: never a plate, a person
or a place."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# How many calendar months (the current one among them) the public page shows at most.
MAX_FIGURE_MONTHS = 24


class MonthlySearches(BaseModel):
    """Allowed searches of one agency in one calendar month (UTC) for one purpose."""

    month: str = Field(pattern=MONTH, description="`YYYY-MM`, UTC.")
    purpose: str = Field(description="The search's purpose (`unspecified` where none was recorded).")
    searches: int = Field(ge=0)


class AuditFigures(BaseModel):
    """What audit counts for an agency's public page: searches per month by purpose over
    ``months`` (oldest first, the current month last; a month with no search has no row), and
    when the agency's last sample audit was completed (R21, R35; null: none yet)."""

    agency: str
    months: list[str] = Field(description="The calendar months counted, `YYYY-MM`, oldest first.")
    searches_by_month: list[MonthlySearches]
    last_audit_completed_at: datetime | None = Field(
        description="When the last finding of the agency's latest complete sample audit was recorded."
    )
