"""API shapes of hotlist sources and their sync log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ..vocabulary import FeedFormat


class SourceCreate(BaseModel):
    hotlist_id: uuid.UUID
    url: str = Field(
        min_length=8,
        max_length=2000,
        description="`https://` or `http://` (fetched with httpx), or `file://` under HOTLIST_FEED_DIR.",
    )
    format: FeedFormat = Field(
        FeedFormat.CSV, description="`csv` (FEEDS.md) or a partner's `partner_json` feed."
    )
    interval_minutes: int | None = Field(
        None, ge=5, le=1440, description="At least daily (R10); default hourly."
    )
    enabled: bool = True
    token_url: str | None = Field(
        None, max_length=2000, description="A partner feed's token endpoint (client-credentials grant)."
    )
    client_id: str | None = Field(None, max_length=256, description="Our client id at the partner's issuer.")
    client_secret_env: str | None = Field(
        None,
        pattern=r"^[A-Z][A-Z0-9_]{0,127}$",
        description="Name of the environment variable holding the client secret (never stored here).",
    )


class SourceUpdate(BaseModel):
    url: str | None = Field(None, min_length=8, max_length=2000)
    format: FeedFormat | None = None
    interval_minutes: int | None = Field(None, ge=5, le=1440)
    enabled: bool | None = None
    token_url: str | None = Field(None, max_length=2000)
    client_id: str | None = Field(None, max_length=256)
    client_secret_env: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]{0,127}$")


class RowErrorPublic(BaseModel):
    line: int
    error: str


class SyncPublic(BaseModel):
    id: uuid.UUID
    source_id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    status: str = Field(description="`ok` (the list was replaced) or `failed` (nothing changed).")
    loaded: int
    rejected: int = Field(description="Bad rows, each reported with its line in `errors`; not loaded.")
    removed: int = Field(description="Entries of the previous sync that the new data replaced.")
    errors: list[RowErrorPublic] = Field(description="The first bad rows (up to 1,000).")
    error: str | None = Field(description="Why a failed sync changed nothing.")


class SourcePublic(BaseModel):
    id: uuid.UUID
    hotlist_id: uuid.UUID
    url: str
    format: FeedFormat
    interval_minutes: int
    enabled: bool
    token_url: str | None
    client_id: str | None
    client_secret_env: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_counts: dict[str, Any] | None
    stale: bool = Field(description="No successful sync within 24 hours: its entries do not match (R11).")
