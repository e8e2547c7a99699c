"""The purpose gate of every view of ALPR data: checked, and a refused attempt recorded (R5, R7)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict, Unpack

from ._audit_events import audit_event
from ._problems import ProblemError
from ._purpose import check_purpose
from ._service_clients import AuditClient
from ._tokens import Principal
from ._vocabulary import Action, Outcome, Purpose


class Attempt(TypedDict):
    """What a view or change says of itself, recorded with its refusal: where it came from, its
    stated purpose and case number, the reason given, and what it touches."""

    source: str
    purpose: Purpose
    case_number: str | None
    reason: str | None
    targets: list[str]


async def require_purpose(
    audit: AuditClient,
    principal: Principal,
    action: Action,
    *,
    case_number_required: bool,
    case_number_pattern: str,
    **attempt: Unpack[Attempt],
) -> None:
    """Raises the problem that refuses the view or change; every refusal (a prohibited purpose,
    a missing or malformed case number, no reason) is recorded first, with why (R7, issue 16)."""
    async with refusals_recorded(audit, principal, action, **attempt):
        check_purpose(
            attempt["purpose"],
            attempt["case_number"],
            attempt["reason"],
            case_number_required=case_number_required,
            case_number_pattern=case_number_pattern,
        )


@asynccontextmanager
async def refusals_recorded(
    audit: AuditClient,
    principal: Principal,
    action: Action,
    **attempt: Unpack[Attempt],
) -> AsyncIterator[None]:
    """The checks of a view or change run inside it: a problem one raises to refuse it is
    recorded first, with why (R7, issue 16), and raised on."""
    try:
        yield
    except ProblemError as refused:
        await audit.record(
            audit_event(
                principal,
                action,
                outcome=Outcome.REFUSED,
                outcome_reason=refused.slug if refused.slug != "validation" else refused.detail[:200],
                **attempt,
            )
        )
        raise
