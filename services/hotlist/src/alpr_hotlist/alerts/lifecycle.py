"""R13: the moves an alert may make. Forward one step at a time towards a confirmed hit, or
closed as a misread or as no longer active from any open state; closed states are final.
R14: the move into a final state records the alert's disposition."""

from __future__ import annotations

from ..vocabulary import AlertState, Disposition

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


# R14: the dispositions each final state takes. A confirmed hit and an entry found no longer
# active record what the officer did (no action, a stop, an arrest, the vehicle recovered); an
# alert closed as a misread has the disposition `misread`, which no other state takes. Moves to
# an open state take none.
_OUTCOMES = frozenset(
    {Disposition.NO_ACTION, Disposition.STOP, Disposition.ARREST, Disposition.VEHICLE_RECOVERED}
)
DISPOSITIONS: dict[AlertState, frozenset[Disposition]] = {
    AlertState.CONFIRMED: _OUTCOMES,
    AlertState.NOT_ACTIVE: _OUTCOMES,
    AlertState.MISREAD: frozenset({Disposition.MISREAD}),
}
# Where the state says it all, the disposition may be left out.
IMPLIED = {AlertState.MISREAD: Disposition.MISREAD}


def disposition_problem(to: AlertState, disposition: Disposition | None) -> str | None:
    """Why ``disposition`` does not go with a move to ``to`` (None where it does)."""
    allowed_here = DISPOSITIONS.get(to)
    if allowed_here is None:
        return None if disposition is None else f"A move to `{to}` takes no disposition (R14)."
    if disposition is None:
        if to in IMPLIED:
            return None
        names = ", ".join(f"`{d}`" for d in sorted(allowed_here))
        return f"A move to `{to}` needs a disposition: one of {names} (R14)."
    if disposition not in allowed_here:
        return f"The disposition `{disposition}` does not go with `{to}` (R14)."
    return None


def disposition_of(to: AlertState, disposition: Disposition | None) -> Disposition | None:
    """The disposition a (valid) move to ``to`` records."""
    return disposition if disposition is not None else IMPLIED.get(to)
