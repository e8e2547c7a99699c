"""Search requests (issue 17, warrant-style tiers): an investigator or analyst asks a supervisor
to approve one search before it runs; the decision is made like a sharing request's (R24-R26):
the requester never decides their own, a supervisor of the same agency does, with a note, on
the ledger. An approval is valid for ``SEARCH_APPROVAL_VALID_HOURS`` after the decision and for
one search: the search with the same purpose, case number, reason and criteria that names it
(``searches.service`` checks and uses it). Not found and not permitted look alike (R27)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import (
    Action,
    Actor,
    Conflict,
    Forbidden,
    NotFound,
    Principal,
    ProblemFieldError,
    Purpose,
    PurposeStated,
    Role,
    ValidationProblem,
    actor_of,
    found,
)

from ..context import SearchContext
from ..searches import rules
from ..searches import service as searches
from ..searches.schemas import SearchRequest
from ..searches.tiers import tiers_met
from . import repository
from .repository import APPROVED, PENDING, REJECTED, ApprovalRow
from .schemas import (
    ApprovalCreate,
    ApprovalDecisionIn,
    ApprovalPage,
    ApprovalPublic,
    ApprovalStatus,
    SearchCriteria,
)


def _search_of(body: ApprovalCreate) -> SearchRequest:
    """The search the request asks for, as its ``POST /v1/searches`` body will carry it."""
    return SearchRequest.model_validate(
        {
            **body.criteria.model_dump(by_alias=True, exclude_none=True),
            "purpose": body.purpose,
            "case_number": body.case_number,
            "reason": body.reason,
        }
    )


def _status(row: ApprovalRow, now: datetime) -> ApprovalStatus:
    if row.status == APPROVED:
        if row.used_at is not None:
            return ApprovalStatus.USED
        if row.expires_at is None or row.expires_at <= now:
            return ApprovalStatus.EXPIRED
    return ApprovalStatus(row.status)


def _public(row: ApprovalRow) -> ApprovalPublic:
    return ApprovalPublic(
        id=row.id,
        agency=row.agency,
        status=_status(row, datetime.now(UTC)),
        purpose=Purpose(row.purpose),
        case_number=row.case_number,
        reason=row.reason,
        justification=row.justification,
        criteria=SearchCriteria.model_validate(row.criteria),
        tiers=row.tiers,
        requested_by=Actor.model_validate(row.requested_by),
        created_at=row.created_at,
        decided_by=Actor.model_validate(row.decided_by) if row.decided_by else None,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by_search=row.used_by_search,
    )


def _sees_all(principal: Principal) -> bool:
    return principal.has_any(Role.SUPERVISOR)


async def create(
    ctx: SearchContext, session: AsyncSession, principal: Principal, body: ApprovalCreate
) -> ApprovalPublic:
    """A pending request. Its purpose, case number and window are checked as the search's will
    be (R5-R8; a refused purpose is recorded first), so a supervisor never approves a search
    that could not run; the request and its event commit together (issue 16)."""
    agency_rules = await rules.require_purpose(
        ctx,
        principal,
        Action.SEARCH_REQUEST_CREATED,
        purpose=body.purpose,
        case_number=body.case_number,
        reason=body.reason,
        targets=[],
    )
    criteria = body.criteria
    if criteria.to <= criteria.from_:
        raise _invalid("to", "`to` must be after `from`.")
    if criteria.to - criteria.from_ > timedelta(days=agency_rules.max_search_days):
        raise _invalid(
            "to",
            f"The time range may span at most {agency_rules.max_search_days} days "
            f"(the agency {agency_rules.agency}'s limit, R8).",
        )
    search = _search_of(body)
    row = ApprovalRow(
        id=uuid.uuid4(),
        agency=principal.agency,
        requester_sub=principal.sub,
        requested_by=actor_of(principal).model_dump(),
        purpose=body.purpose.value,
        case_number=body.case_number,
        reason=body.reason,
        justification=body.justification,
        criteria=criteria.model_dump(mode="json", by_alias=True),
        digest=searches.criteria_digest(search),
        tiers=[t.condition.value for t in tiers_met(agency_rules.tiers, search)],
        status=PENDING,
        created_at=datetime.now(UTC),
        decided_by=None,
        decided_at=None,
        decision_note=None,
        expires_at=None,
        used_at=None,
        used_by_search=None,
    )
    await repository.insert_request(session, row)
    fields = searches.recorded_fields(search)
    await ctx.ledger.record_change(
        session,
        principal,
        Action.SEARCH_REQUEST_CREATED,
        targets=[str(row.id)],
        **{**fields, "data": {**fields["data"], "justification": body.justification, "tiers": row.tiers}},
    )
    return _public(row)


def _invalid(field: str, message: str) -> ValidationProblem:
    return ValidationProblem(
        message, errors=[ProblemFieldError(loc=["body", "criteria", field], msg=message)]
    )


async def _visible(
    conn: AsyncConnection | AsyncSession, principal: Principal, request_id: uuid.UUID
) -> ApprovalRow:
    """R27: another agency's request, or (for one who is not a supervisor) someone else's, is
    simply not there."""
    row = await repository.get(conn, principal.agency, request_id)
    if row is None or not (_sees_all(principal) or row.requester_sub == principal.sub):
        raise NotFound()
    return row


async def _record_view(
    ctx: SearchContext, principal: Principal, rows: list[ApprovalRow], data: dict[str, Any]
) -> None:
    """A view of search requests (their criteria, plates among them) is on the ledger before
    it leaves (issue 16: no record, no data)."""
    await ctx.record_now(
        principal,
        Action.SEARCH_REQUEST_VIEWED,
        targets=[str(r.id) for r in rows[:1000]],
        data={**data, "requests": len(rows)},
    )


async def view(
    ctx: SearchContext, conn: AsyncConnection, principal: Principal, request_id: uuid.UUID
) -> ApprovalPublic:
    row = await _visible(conn, principal, request_id)
    await _record_view(ctx, principal, [row], {})
    return _public(row)


async def listing(
    ctx: SearchContext, conn: AsyncConnection, principal: Principal, limit: int
) -> ApprovalPage:
    """The agency's requests, newest first: all of them for a supervisor, one's own otherwise."""
    mine = None if _sees_all(principal) else principal.sub
    rows = await repository.of_agency(conn, principal.agency, requester_sub=mine, limit=limit)
    await _record_view(ctx, principal, rows, {"scope": "own" if mine else "agency"})
    return ApprovalPage(items=[_public(r) for r in rows])


async def decide(
    ctx: SearchContext,
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    body: ApprovalDecisionIn,
) -> ApprovalPublic:
    """A supervisor of the request's agency approves or rejects it, with a note; never the one
    who asked (403). Decided once (409 after); the decision and its event commit together."""
    row = found(await repository.get(session, principal.agency, request_id))
    if row.requester_sub == principal.sub:
        raise Forbidden("The requester never decides their own search request (issue 17).")
    if row.status != PENDING:
        raise Conflict(f"The search request is already {row.status}.")
    now = datetime.now(UTC)
    expires_at = now + timedelta(hours=ctx.settings.approval_valid_hours) if body.approve else None
    decided = await repository.decide(
        session,
        principal.agency,
        request_id,
        status=APPROVED if body.approve else REJECTED,
        decided_by=actor_of(principal).model_dump(),
        decided_at=now,
        note=body.note,
        expires_at=expires_at,
    )
    if decided is None:  # decided by another supervisor since it was read
        raise Conflict("The search request was decided already.")
    stated = PurposeStated(
        purpose=Purpose(row.purpose), case_number=row.case_number, reason=body.note, targets=[str(request_id)]
    )
    data = {
        "decision": decided.status,
        "requested_by": row.requester_sub,
        "expires_at": expires_at.isoformat() if expires_at else None,
        "tiers": row.tiers,
    }
    await ctx.ledger.record_change(session, principal, Action.SEARCH_REQUEST_DECIDED, data=data, **stated)
    return _public(decided)
