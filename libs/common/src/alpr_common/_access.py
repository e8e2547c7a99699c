"""The access class of every route, declared where the route is declared and published in the
service's OpenAPI document (issue 16, item 4).

``@router.get("/v1/alerts", openapi_extra=access(Access.VIEW, Action.ALERT_VIEWED))`` puts
``"x-alpr-access": "view"`` and ``"x-alpr-ledger": ["alert.viewed"]`` on the operation: what kind
of access the route is, and the ledger actions a successful call records. ``tests/ledger``
checks that every route of every service has a class, and that every view and change leaves
its event on the ledger with its actor, purpose and targets.

Endpoints declare it with the problems the route answers in one call, one per class
(``**view(Action.ALERT_VIEWED, refuses=(NotFound,))``, ``_routes.py``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ._vocabulary import Action

ACCESS_EXTENSION = "x-alpr-access"
LEDGER_EXTENSION = "x-alpr-ledger"


class Access(StrEnum):
    """What kind of access a route is."""

    VIEW = "view"
    """An answer that carries a plate, a vehicle's place, an image or a URL to one, or ledger
    contents: recorded before it leaves (no record, no data)."""
    CHANGE = "change"
    """Changes state (camera, hotlist, entry, alert, hold, MOU, request, decision, settings,
    correction, audit, checkpoint): recorded once it is made."""
    MACHINE = "machine"
    """Service-to-service calls and device intake (cameras' uploads, recognition's work queue,
    the ledger's own append, the pipeline's batches). Some record what they cause."""
    PUBLIC = "public"
    """No token: health, metrics, the OpenAPI document, ``/public/``. Never recorded."""
    READ = "read"
    """An authenticated answer that carries no ALPR data and no ledger contents: the agency's
    own configuration (cameras, hotlists' settings, sources, webhooks, partner agencies, MOUs,
    retention), aggregate counts (``/v1/stats``, R23), the caller's own identity. Not recorded."""


_UNRECORDED = frozenset({Access.PUBLIC, Access.READ})


def access(kind: Access, *ledger: Action) -> dict[str, Any]:
    """``openapi_extra`` of a route: its class and the ledger actions a successful call records
    (for a change, the change's own action(s))."""
    if kind in _UNRECORDED and ledger:
        raise ValueError(f"a {kind} route records nothing on the ledger")
    return {ACCESS_EXTENSION: kind.value, LEDGER_EXTENSION: [str(a) for a in ledger]}
