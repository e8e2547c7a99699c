"""API shapes of alerts: what the list, the stream and the webhooks carry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, model_validator

from alpr_common import Person

from ..vocabulary import AlertState, Disposition, Grade, HotlistKind
from . import lifecycle


class Transition(BaseModel):
    from_: AlertState = Field(alias="from")
    to: AlertState
    by: Person
    at: datetime
    note: str | None
    disposition: Disposition | None = Field(None, description="R14: set on the move into a final state.")

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
    disposition: Disposition | None = Field(
        description="R14: what came of it, recorded when it was confirmed or closed; null while open."
    )
    agency: str
    camera_id: uuid.UUID
    captured_at: datetime
    crop_url: str | None = Field(description="Presigned, short expiry.")
    created_at: datetime
    transitions: list[Transition]


class TransitionIn(BaseModel):
    """R13, R14: a move to `confirmed` or `not_active` needs a `disposition` (`no_action`,
    `stop`, `arrest` or `vehicle_recovered`); a move to `misread` has the disposition `misread`
    (it may be left out); a move to an open state takes none. Anything else is refused (422)."""

    to: AlertState
    note: str | None = Field(None, max_length=2000)
    disposition: Disposition | None = Field(
        None, description="R14: what came of the alert; only on a move to a final state."
    )

    @model_validator(mode="after")
    def _disposition_goes_with_the_state(self) -> Self:
        problem = lifecycle.disposition_problem(self.to, self.disposition)
        if problem is not None:
            raise ValueError(problem)
        return self


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
