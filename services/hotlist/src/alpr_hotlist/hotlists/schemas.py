"""API shapes of hotlists."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from ..vocabulary import HotlistKind


class HotlistCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: HotlistKind
    priority: int = Field(ge=1, le=100, description="1 is the highest.")
    alerting: bool = Field(True, description="Whether a match raises an alert.")


class HotlistUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    priority: int | None = Field(None, ge=1, le=100)
    alerting: bool | None = None


class HotlistPublic(BaseModel):
    id: uuid.UUID
    agency: str
    name: str
    kind: HotlistKind
    priority: int
    alerting: bool
    created_at: datetime
    updated_at: datetime
    active_entries: int = Field(description="Entries that are approved and not expired.")
    pending_entries: int
    last_synced_at: datetime | None = Field(description="The oldest last successful sync of its sources.")
    stale: bool = Field(
        description="A source has not synced successfully within the freshness window (R11): "
        "its entries do not match until it does."
    )
