"""R13: the moves an alert may make. Forward one step at a time towards a confirmed hit, or
closed as a misread or as no longer active from any open state; closed states are final."""

from __future__ import annotations

from ..vocabulary import AlertState

FORWARD = {
    AlertState.ALERT: AlertState.TENTATIVE_HIT,
    AlertState.TENTATIVE_HIT: AlertState.LIVE_QUERY,
    AlertState.LIVE_QUERY: AlertState.CONFIRMED,
}
CLOSING = frozenset({AlertState.MISREAD, AlertState.NOT_ACTIVE})
FINAL = frozenset({AlertState.CONFIRMED, AlertState.MISREAD, AlertState.NOT_ACTIVE})


def allowed(current: AlertState, to: AlertState) -> bool:
    if current in FINAL:
        return False
    return FORWARD.get(current) == to or to in CLOSING
