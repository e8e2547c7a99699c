"""Purpose-bound search (R4-R8): refused unless its purpose is authorized and its case number
or reason is given; every search, allowed or refused, is on the audit ledger before anything
is returned, and no results leave without their record (fail closed)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, Field
from sqlalchemy.ext.asyncio import AsyncConnection

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

from ..context import SearchContext
from ..detections.schemas import DetectionPublic
from ..detections.service import public
from . import repository, rules
from .schemas import SearchRequest, SearchResponse


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


async def _check(ctx: SearchContext, principal: Principal, body: SearchRequest) -> str:
    """The agency searched; raises the problem that refuses the search."""
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
    return agency


class SearchPosition(Position):
    """Where the next page of a search starts, and which search it is: its id and a digest of
    its purpose, case number, reason and criteria, so a cursor continues only the search that
    made it (issue 16: a new search must not pass as the next page of an old one)."""

    search_id: uuid.UUID
    at: AwareDatetime
    id: uuid.UUID
    criteria: str = Field(min_length=16, max_length=64)


def _digest(body: SearchRequest) -> str:
    fields = recorded_fields(body)
    fields["purpose"] = str(body.purpose) if body.purpose else None
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:32]


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
    ctx: SearchContext, principal: Principal, body: SearchRequest, *, extra: dict[str, Any] | None = None
) -> str:
    """The agency a search (or a hold by search) may run against. Refused (no purpose, a
    prohibited one, no case number, no or too long a time range, a bad cursor): the attempt is
    recorded as a refused ``search.executed`` with why (R5-R8, R7), then the problem raised."""
    try:
        agency = await _check(ctx, principal, body)
        _position(body)
    except ProblemError as refused:
        ctx.metrics.searched(str(body.purpose) if body.purpose else None, refused.slug)
        fields = recorded_fields(body)
        await ctx.clients.audit.record(
            audit_event(
                principal,
                Action.SEARCH_EXECUTED,
                source="search",
                outcome=Outcome.REFUSED,
                outcome_reason=refused.slug if refused.slug != "validation" else refused.detail[:200],
                agency=body.agency if _is_service(principal) and body.agency else principal.agency,
                **{**fields, "data": {**fields["data"], **(extra or {})}},
            )
        )
        raise
    ctx.metrics.searched(str(body.purpose) if body.purpose else None)
    return agency


def _marked(item: DetectionPublic, body: SearchRequest) -> DetectionPublic:
    """Issue 21: in a search by state, whether each detection is of that state or of one the
    reader could not tell (the filter includes those unless told not to)."""
    if not body.state:
        return item
    match: Literal["exact", "unknown"] = "exact" if item.region == body.state.upper() else "unknown"
    return item.model_copy(update={"state_match": match})


async def search(
    ctx: SearchContext, conn: AsyncConnection, principal: Principal, body: SearchRequest
) -> SearchResponse:
    fields = recorded_fields(body)
    agency = await authorize(ctx, principal, body)
    search_id, after = _position(body)
    continuation = search_id is not None
    search_id = search_id or uuid.uuid4()
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
                **{**fields, "data": {**fields["data"], "search_id": str(search_id), "results": len(page)}},
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
