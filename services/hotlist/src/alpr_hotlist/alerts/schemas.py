"""API shapes of alerts: what the list, the stream and the webhooks carry."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from alpr_common import Person

from ..vocabulary import AlertState, Grade, HotlistKind


class Transition(BaseModel):
    from_: AlertState = Field(alias="from")
    to: AlertState
    by: Person
    at: datetime
    note: str | None

    model_config = {"populate_by_name": True}


class MatchedEntry(BaseModel):
    """The entry as it was when the read matched (it may since have changed or gone)."""

    plate: str
    state: str
    reason: str | None
    case_number: str | None
    ncic_number: str | None
    hotlist_name: str
    hotlist_kind: HotlistKind
    priority: int


class AlertPublic(BaseModel):
    id: uuid.UUID
    read_id: uuid.UUID
    plate: str = Field(description="The plate as read.")
    region: str
    confidence: float
    hotlist_id: uuid.UUID
    entry_id: uuid.UUID
    entry: MatchedEntry
    grade: Grade = Field(description="`exact`, `partial` (wildcard entry) or `confusable` (lower grade).")
    state: AlertState = Field(description="R13: an alert alone is no basis for action.")
    agency: str
    camera_id: uuid.UUID
    captured_at: datetime
    crop_url: str | None = Field(description="Presigned, short expiry.")
    created_at: datetime
    transitions: list[Transition]


class TransitionIn(BaseModel):
    to: AlertState
    note: str | None = Field(None, max_length=2000)


class AlertEvent(BaseModel):
    """One Server-Sent Event's data (`event: alert.created` or `alert.transitioned`; `id` is the
    stream position to resume from with `Last-Event-ID`)."""

    event: str
    alert: AlertPublic


class StreamTicket(BaseModel):
    """Opens the alert stream once: `GET /v1/alerts/stream?ticket=...`, for a client that cannot
    send a bearer token (a browser's `EventSource`). Each connection needs a new one."""

    ticket: str = Field(description="Single use; bound to the caller and the caller's agency.")
    expires_at: datetime = Field(description="Unused after this, the ticket is refused.")
    expires_in: int = Field(description="Seconds from issue to `expires_at`.")
