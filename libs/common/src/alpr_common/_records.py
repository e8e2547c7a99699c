"""What the services' handlers of one record share: the 404 of a record that is missing or not
the caller's (R27), and what a view of records states (R5)."""

from __future__ import annotations

from typing import TypedDict, TypeVar

from ._problems import NotFound
from ._vocabulary import Purpose

R = TypeVar("R")


def found(row: R | None) -> R:
    """The record, or the one 404 of a record that is missing or not the caller's to see (R27)."""
    if row is None:
        raise NotFound()
    return row


class PurposeStated(TypedDict):
    """What a view of records, or a decision on a request for them, states (R5): the purpose gate
    checks it and the ledger event names it, by these keywords of ``require_purpose``,
    ``audit_event`` and ``record_change``."""

    purpose: Purpose
    case_number: str | None
    reason: str | None
    targets: list[str]
