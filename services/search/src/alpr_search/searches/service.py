"""Purpose-bound search (R4-R8): refused unless its purpose is authorized and its case number
or reason is given; every search, allowed or refused, is on the audit ledger before anything
is returned, and no results leave without their record (fail closed).

Issue 17, warrant-style tiers: a search in one of its agency's tiers (``tiers.py``) runs only with
what the tier requires, checked before it runs: a legal process reference, or a supervisor's
prior approval (``approvals``) used once, atomically, by the first page of the search it
approved. Its ledger event says which tiers applied and how each was met."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, Field
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import (
    Action,
    BadRequest,
    Outcome,
    Position,
    Principal,
    ProblemError,
    ProblemFieldError,
    Role,
    ValidationProblem,
    audit_event,
    check_purpose,
    decode_cursor,
    encode_cursor,
    normalize_plate_pattern,
)

from ..approvals import repository as approvals
from ..context import SearchContext
from ..detections.schemas import DetectionPublic
from ..detections.service import public
from . import repository, rules
from .schemas import SearchRequest, SearchResponse
from .tiers import Clearance, TierRefused, refuse_unmet, tiers_met, unmet


def _invalid(field: str, message: str) -> ValidationProblem:
    return ValidationProblem(message, errors=[ProblemFieldError(loc=["body", field], msg=message)])


def _is_service(principal: Principal) -> bool:
    return principal.has_any(Role.SERVICE) and not principal.has_any(Role.INVESTIGATOR, Role.ANALYST)


def _criteria(body: SearchRequest) -> dict[str, Any]:
    """R4: every data element used in the query, as recorded."""
    data: dict[str, Any] = {
        "plate": normalize_plate_pattern(body.plate) if body.plate else None,
        "state": body.state,
        "include_unknown_state": body.include_unknown_state if body.state else None,
        "from": body.from_.isoformat() if body.from_ else None,
        "to": body.to.isoformat() if body.to else None,
        "camera_ids": [str(c) for c in body.camera_ids] or None,
        "area": body.area.model_dump() if body.area else None,
        "vehicle": body.vehicle.model_dump(exclude_none=True) if body.vehicle else None,
        "sharing_request_id": str(body.sharing_request_id) if body.sharing_request_id else None,
    }
    return {k: v for k, v in data.items() if v is not None}


async def _check(
    ctx: SearchContext, principal: Principal, body: SearchRequest
) -> tuple[str, rules.SearchRules | None]:
    """The agency searched, and its rules (none for a service's search, decided by sharing);
    raises the problem that refuses the search."""
    if _is_service(principal):
        if not body.agency or body.sharing_request_id is None:
            raise _invalid("agency", "A service search names the host agency and the sharing request.")
        agency = body.agency
    else:
        if body.agency or body.sharing_request_id:
            raise _invalid("agency", "Only a service search names an agency or a sharing request.")
        agency = principal.agency
    if body.purpose is None:
        raise _invalid("purpose", "A purpose is required (R5).")
    if _is_service(principal):
        # A partner's search through sharing: sharing decided the request (its purpose, case and
        # window) under the host's policy; the deployment's longest window still bounds it.
        check_purpose(
            body.purpose,
            body.case_number,
            body.reason or str(body.sharing_request_id),
            case_number_required=False,
            case_number_pattern=r".+",
        )
        max_days, whose = ctx.settings.max_search_days, "the deployment's"
        agency_rules = None
    else:
        # Issue 17: the searching agency's own policy in force (R5-R8).
        agency_rules = await rules.of_agency(ctx, agency)
        agency_rules.check(body.purpose, body.case_number, body.reason)
        max_days, whose = agency_rules.max_search_days, f"the agency {agency}'s"
    if body.from_ is None or body.to is None:
        raise _invalid("from", "A time range (`from` and `to`) is required.")
    if body.to <= body.from_:
        raise _invalid("to", "`to` must be after `from`.")
    if body.to - body.from_ > timedelta(days=max_days):
        raise _invalid("to", f"The time range may span at most {max_days} days ({whose} limit, R8).")
    return agency, agency_rules


class ApprovalMismatch(ValidationProblem):
    """422: the approval named was given for another search (other purpose, case number, reason
    or criteria). ``data`` goes into the refused ``search.executed`` event."""

    def __init__(self, detail: str, data: dict[str, Any]) -> None:
        super().__init__(detail)
        self.data = data


async def _clear(
    ctx: SearchContext,
    principal: Principal,
    body: SearchRequest,
    agency_rules: rules.SearchRules | None,
    *,
    conn: AsyncConnection | None,
    session: AsyncSession | None,
    search_id: uuid.UUID,
    continuation: bool,
) -> Clearance:
    """Issue 17: the warrant-style tiers the search falls in, and what meets them; raises the
    problem that refuses it. A service principal's search (sharing's, for a partner) is decided
    by sharing under the host's policy: tiers do not apply to it. A legal process reference
    meets every tier (a judge's order is more than a supervisor's approval); an approval meets
    those requiring a supervisor's approval, and is used here, once, by the search's first page
    (a continuation page of the same search, by its signed cursor, checks that this search used
    it and does not use it again)."""
    if agency_rules is None:
        if body.approval_id is not None or body.legal_process is not None:
            raise _invalid("approval_id", "A service search is decided by sharing: it names no approval.")
        return Clearance()
    if body.approval_id is not None and body.legal_process is not None:
        raise _invalid("approval_id", "Name either an approval or a legal process, not both.")
    met = tiers_met(agency_rules.tiers, body)
    if body.legal_process is not None:
        return Clearance(tiers=met, legal_process=body.legal_process)
    if body.approval_id is None:
        if met:
            raise refuse_unmet(agency_rules.agency, agency_rules.policy_version, met)
        return Clearance()
    missing = unmet(met, approval=True)
    if missing:
        raise refuse_unmet(agency_rules.agency, agency_rules.policy_version, missing)
    approval_id = body.approval_id
    refused_data: dict[str, Any] = {"approval_id": str(approval_id)}

    def refused(why: str, detail: str) -> TierRefused:
        return TierRefused(
            f"The approval {approval_id} cannot be used: {detail} (issue 17).",
            {**refused_data, "approval_refused": why},
        )

    reader = conn if conn is not None else session
    row = await approvals.get(reader, agency_rules.agency, approval_id) if reader is not None else None
    # R27: another agency's request, or one asked by someone else, is simply not there.
    if row is None or row.requester_sub != principal.sub:
        raise refused("unknown", "there is no such approval of a request of yours")
    if row.status != approvals.APPROVED:
        raise refused(row.status, f"the request is {row.status}, not approved")
    if not hmac.compare_digest(row.digest, _digest(body)):
        raise ApprovalMismatch(
            f"The approval {approval_id} was given for another search: send the purpose, case "
            "number, reason and criteria of the request it approved (issue 17).",
            {**refused_data, "approval_refused": "other-search"},
        )
    if continuation:
        if row.used_by_search != search_id:
            raise refused("used", "it was used by another search")
        return Clearance(tiers=met, approval_id=str(approval_id))
    if row.used_at is not None:
        raise refused("used", "it was used already; an approval is valid for one search")
    if row.expires_at is None or row.expires_at <= datetime.now(UTC):
        raise refused("expired", f"it expired at {row.expires_at.isoformat() if row.expires_at else '-'}")
    if session is None:
        raise refused("not-here", "only a search (`POST /v1/searches`) uses an approval")
    used = await approvals.use(session, agency_rules.agency, approval_id, search_id)
    if used is None:  # another search used it (or it expired) since it was read
        raise refused("used", "it was used already; an approval is valid for one search")
    await ctx.ledger.record(
        session,
        audit_event(
            principal,
            Action.SEARCH_REQUEST_USED,
            source="search",
            purpose=body.purpose,
            case_number=body.case_number,
            reason=body.reason,
            targets=[str(approval_id), str(search_id)],
            data={"search_id": str(search_id), "tiers": [t.condition.value for t in met]},
        ),
    )
    return Clearance(tiers=met, approval_id=str(approval_id))


@dataclass(frozen=True)
class Authorized:
    """A search allowed to run: the agency searched, which search it is (a new one, or the one
    its cursor continues, and from where) and what cleared its warrant-style tiers."""

    agency: str
    search_id: uuid.UUID
    after: tuple[datetime, uuid.UUID] | None
    continuation: bool
    clearance: Clearance = field(default_factory=Clearance)


class SearchPosition(Position):
    """Where the next page of a search starts, and which search it is: its id and a digest of
    its purpose, case number, reason and criteria, so a cursor continues only the search that
    made it (issue 16: a new search must not pass as the next page of an old one)."""

    search_id: uuid.UUID
    at: AwareDatetime
    id: uuid.UUID
    criteria: str = Field(min_length=16, max_length=64)


def _digest(body: SearchRequest) -> str:
    """The purpose, case number, reason and criteria of a search (not its approval or legal
    process, limit or cursor): what a cursor and an approval (issue 17) are bound to."""
    fields = recorded_fields(body)
    fields["purpose"] = str(body.purpose) if body.purpose else None
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:32]


def criteria_digest(body: SearchRequest) -> str:
    """What an approval of a search request is bound to (issue 17): the same digest as a cursor's."""
    return _digest(body)


def _position(body: SearchRequest) -> tuple[uuid.UUID | None, tuple[datetime, uuid.UUID] | None]:
    position = decode_cursor(body.cursor, SearchPosition)
    if position is None:
        return None, None
    if not hmac.compare_digest(position.criteria, _digest(body)):
        raise BadRequest("The cursor belongs to another search: send the same criteria to continue it.")
    return position.search_id, (position.at, position.id)


def recorded_fields(body: SearchRequest) -> dict[str, Any]:
    """What the ledger holds of a search: purpose, case number, reason and every criterion (R4)."""
    return {
        "purpose": body.purpose,
        "case_number": body.case_number,
        "reason": body.reason,
        "data": _criteria(body),
    }


async def authorize(
    ctx: SearchContext,
    principal: Principal,
    body: SearchRequest,
    *,
    extra: dict[str, Any] | None = None,
    conn: AsyncConnection | None = None,
    session: AsyncSession | None = None,
) -> Authorized:
    """What a search (or a hold by search) may run as: the agency searched, which search it is
    and what cleared its tiers. Refused (no purpose, a prohibited one, no case number, no or too
    long a time range, a bad cursor, a warrant-style tier not met: issue 17): the attempt is
    recorded as a refused ``search.executed`` with why (R5-R8, R7), then the problem raised. A
    hold by search in a tier names its approval or legal process as a search does; the
    approval's use commits in ``session``, the hold's own."""
    try:
        agency, agency_rules = await _check(ctx, principal, body)
        search_id, after = _position(body)
        continuation = search_id is not None
        search_id = search_id or uuid.uuid4()
        clearance = await _clear(
            ctx,
            principal,
            body,
            agency_rules,
            conn=conn,
            session=session,
            search_id=search_id,
            continuation=continuation,
        )
    except ProblemError as refused:
        ctx.metrics.searched(str(body.purpose) if body.purpose else None, refused.slug)
        fields = recorded_fields(body)
        why: dict[str, Any] = {}
        if isinstance(refused, TierRefused | ApprovalMismatch):
            why = refused.data
        elif body.approval_id is not None:
            why = {"approval_id": str(body.approval_id)}
        if body.legal_process is not None:
            why["legal_process"] = body.legal_process.model_dump(mode="json")
        detailed = refused.slug == "validation" or isinstance(refused, TierRefused)
        await ctx.clients.audit.record(
            audit_event(
                principal,
                Action.SEARCH_EXECUTED,
                source="search",
                outcome=Outcome.REFUSED,
                outcome_reason=refused.detail[:200] if detailed else refused.slug,
                agency=body.agency if _is_service(principal) and body.agency else principal.agency,
                **{**fields, "data": {**fields["data"], **(extra or {}), **why}},
            )
        )
        raise
    ctx.metrics.searched(str(body.purpose) if body.purpose else None)
    return Authorized(
        agency=agency, search_id=search_id, after=after, continuation=continuation, clearance=clearance
    )


def _marked(item: DetectionPublic, body: SearchRequest) -> DetectionPublic:
    """Issue 21: in a search by state, whether each detection is of that state or of one the
    reader could not tell (the filter includes those unless told not to)."""
    if not body.state:
        return item
    match: Literal["exact", "unknown"] = "exact" if item.region == body.state.upper() else "unknown"
    return item.model_copy(update={"state_match": match})


async def search(
    ctx: SearchContext,
    conn: AsyncConnection,
    principal: Principal,
    body: SearchRequest,
    session: AsyncSession | None = None,
) -> SearchResponse:
    """One page of a search. ``session`` is the request's unit of work, where an approval's use
    and its ledger event commit (issue 17), before the answer goes out."""
    fields = recorded_fields(body)
    allowed = await authorize(ctx, principal, body, conn=conn, session=session)
    agency, search_id, after, continuation = (
        allowed.agency,
        allowed.search_id,
        allowed.after,
        allowed.continuation,
    )
    rows = await repository.find(conn, agency, body, after, body.limit + 1)
    page = rows[: body.limit]
    # Recorded before one result leaves; if it cannot be recorded, nothing leaves (503). The
    # append goes out first and the page (presigned image URLs) is made while it is in flight:
    # what search adds above its SQL and its audit append (issue 16).
    recording = asyncio.create_task(
        ctx.clients.audit.record(
            audit_event(
                principal,
                Action.DETECTION_VIEWED if continuation else Action.SEARCH_EXECUTED,
                source="search",
                agency=agency,
                targets=[str(row.id) for row in page],
                **{
                    **fields,
                    "data": {
                        **fields["data"],
                        **allowed.clearance.recorded(),
                        "search_id": str(search_id),
                        "results": len(page),
                    },
                },
            )
        )
    )
    try:
        await asyncio.sleep(0)  # the append's request starts before the page is made
        items = [_marked(public(ctx, row), body) for row in page]
        next_cursor = None
        if len(rows) > body.limit and page:
            last = page[-1]
            next_cursor = encode_cursor(
                SearchPosition(search_id=search_id, at=last.captured_at, id=last.id, criteria=_digest(body))
            )
    finally:
        await recording
    return SearchResponse(search_id=search_id, items=items, next_cursor=next_cursor)
