"""API shapes of checkpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CheckpointOut(BaseModel):
    sequence: int
    hash: str
    created_at: datetime
    signature: str
    public_key: str


class CheckpointList(BaseModel):
    items: list[CheckpointOut]
    next_cursor: str | None = None
    public_key: str
