"""API shapes of the ledger."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from alpr_common import Action, Actor, Outcome

if TYPE_CHECKING:
    from .repository import EventRow


class EventOut(BaseModel):
    """A recorded event as the ledger holds it."""

    event_id: uuid.UUID | None = Field(None, description="Null only for events recorded before ids existed.")
    sequence: int
    hash: str
    occurred_at: str
    recorded_at: str
    action: Action
    actor: Actor
    agency: str
    purpose: str | None = None
    case_number: str | None = None
    reason: str | None = None
    outcome: Outcome
    outcome_reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    targets: list[str] = Field(default_factory=list)
    source: str
    request_id: str | None = None

    @classmethod
    def from_row(cls, row: EventRow) -> EventOut:
        doc = json.loads(row.canonical)
        doc.pop("submitted_by", None)
        return cls(hash=row.hash, **doc)


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_broken_sequence: int | None
