"""The canonical form of a ledger event and the chain hash over it.

``hash(n) = SHA-256(bytes(hash(n-1)) || RFC 8785 canonical JSON of event n)``, with
``hash(0)`` = 32 zero bytes. The canonical document holds the sequence number, so an event
cannot be moved, and every field the API shows, so none can change unseen.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import rfc8785

from alpr_common import AuditEventIn, Principal

GENESIS_HASH = "0" * 64


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC text (``2026-11-23T08:00:00.000000Z``): sorts as time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_document(
    event: AuditEventIn, *, sequence: int, recorded_at: datetime, submitted_by: Principal
) -> dict[str, Any]:
    occurred = event.occurred_at or recorded_at
    return {
        "sequence": sequence,
        "occurred_at": utc_text(occurred),
        "recorded_at": utc_text(recorded_at),
        "action": str(event.action),
        "actor": event.actor.model_dump(mode="json"),
        "agency": event.agency or event.actor.agency,
        "purpose": str(event.purpose) if event.purpose else None,
        "case_number": event.case_number,
        "reason": event.reason,
        "outcome": str(event.outcome),
        "outcome_reason": event.outcome_reason,
        "data": event.data,
        "targets": event.targets,
        "source": event.source,
        "request_id": event.request_id,
        "submitted_by": {"sub": submitted_by.sub, "client_id": submitted_by.client_id},
    }


def canonical_json(document: dict[str, Any]) -> str:
    return rfc8785.dumps(document).decode()


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical.encode()).hexdigest()
