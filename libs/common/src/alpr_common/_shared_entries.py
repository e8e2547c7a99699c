"""The wire model of hotlist's shareable entries (issue 22: defined once): hotlist's
``GET /v1/shared-entries`` answers it and sharing's partner feed (``GET /v1/shared-hotlist``)
passes the same items on (CONTRACT.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SharedEntry(BaseModel):
    plate: str
    state: str
    kind: str
    reason: str | None
    expires_at: datetime | None
    refreshed_at: datetime


class SharedEntries(BaseModel):
    items: list[SharedEntry]
