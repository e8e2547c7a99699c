"""The audit event every service sends to the ledger, and the fail-closed way to send it."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from ._observability import request_id_var
from ._tokens import Principal
from ._vocabulary import Action, Outcome, Purpose

MAX_DATA_BYTES = 16_384


class Actor(BaseModel):
    """The person or machine client whose request caused the event (not the calling service)."""

    sub: str = Field(min_length=1, max_length=256)
    name: str = Field(max_length=256)
    agency: str = Field(max_length=32)
    roles: list[str] = Field(default_factory=list, max_length=32)
    client_id: str | None = Field(None, max_length=256)
    badge: str | None = Field(
        None, max_length=64, description="The person's badge number (token claim `badge`)."
    )


class AuditEventIn(BaseModel):
    """One audited access or change (R1, R4): who, when, what, why, and how it ended.

    ``event_id`` is made where the action happened, when the event is made, before the first
    attempt to send it, and kept on every retry: the ledger stores one row per id, so a retry
    cannot count an access twice (issue 16)."""

    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="The event's identity; a repeat with the same id appends nothing.",
    )
    action: Action
    actor: Actor
    occurred_at: AwareDatetime | None = Field(None, description="When it happened; default: on receipt.")
    agency: str | None = Field(
        None, max_length=32, description="The agency whose data or policy it concerns; default: the actor's."
    )
    purpose: Purpose | None = None
    case_number: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=2000)
    outcome: Outcome = Outcome.ALLOWED
    outcome_reason: str | None = Field(None, max_length=500)
    data: dict[str, Any] = Field(default_factory=dict, description="The data elements used, e.g. the plate.")
    targets: list[str] = Field(default_factory=list, max_length=1000)
    source: str = Field(min_length=1, max_length=64, description="The service that recorded it.")
    request_id: str | None = Field(None, max_length=128)

    @field_validator("data")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json(value, depth=0)
        if len(json.dumps(value)) > MAX_DATA_BYTES:
            raise ValueError(f"data is larger than {MAX_DATA_BYTES} bytes")
        return value


def _check_json(value: Any, depth: int) -> None:
    """What the ledger's canonical JSON (RFC 8785) can hold: finite numbers, integers within
    2**53, string keys, nesting at most 16 deep."""
    if depth > 16:
        raise ValueError("data is nested too deeply")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError("integers in data must lie within +-2**53")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers in data must be finite")
        return
    if isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("keys in data must be strings")
            _check_json(item, depth + 1)
        return
    raise ValueError(f"data may hold only JSON values, not {type(value).__name__}")


class AuditBatchIn(BaseModel):
    events: list[AuditEventIn] = Field(min_length=1, max_length=1000)


class AuditReceipt(BaseModel):
    """Where an event landed in the ledger."""

    sequence: int
    hash: str
    duplicate: bool = Field(
        False, description="True when the ledger already held this `event_id`: nothing was appended."
    )


class AuditReceipts(BaseModel):
    items: list[AuditReceipt]


def actor_of(principal: Principal) -> Actor:
    return Actor.model_validate(principal.identity())  # less its training, which Actor does not keep


def audit_event(
    principal: Principal,
    action: Action,
    *,
    source: str,
    outcome: Outcome = Outcome.ALLOWED,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> AuditEventIn:
    """An event for ``principal``'s request, stamped now and with the current request id."""
    return AuditEventIn(
        action=action,
        actor=actor_of(principal),
        occurred_at=occurred_at or datetime.now(UTC),
        outcome=outcome,
        source=source,
        request_id=request_id_var.get(),
        **fields,
    )
