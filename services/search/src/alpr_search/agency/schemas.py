"""API shapes of an agency's settings."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RetentionIn(BaseModel):
    retention_days: int = Field(ge=90, le=1825, description="R16: 90 days to 5 years.")


class RetentionPublic(BaseModel):
    agency: str
    retention_days: int
    source: str = Field(description="`agency` (set by its administrator) or `default` (the service setting).")
    updated_at: datetime | None
