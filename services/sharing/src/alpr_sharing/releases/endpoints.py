"""``/v1/requests``, decisions, results, and the partner hotlist feed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from alpr_common import (
    PROBLEM_MEDIA_TYPE,
    Action,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    NotFound,
    Unavailable,
    change,
    request_id_var,
    view,
)

from ..context import Ctx
from ..roles import Decider, Filer, Partner, RequestReader
from ..vocabulary import RequestStatus
from . import service
from .schemas import DecisionIn, RequestCreate, RequestPublic, Results, SharedHotlist

router = APIRouter(tags=["requests"])


@router.post(
    "/v1/requests",
    response_model=RequestPublic,
    **change(
        Action.SHARING_REQUESTED,
        status=201,
        refuses=(AuditUnavailable,),
        responses={
            403: {
                "description": "Refused (`urn:alpr:problem:request-refused`, with `reason` and "
                "`sharing_request_id`; kept on file), or not permitted."
            },
        },
    ),
)
async def file_request(ctx: Ctx, session: DbSession, principal: Filer, body: RequestCreate) -> Any:
    """Files a written request (R24): by a partner for its own agency, or by records staff on a
    partner's behalf (`agency_ori`). Refused at once, and kept on file with the reason, when
    the agency is not law enforcement (R26: the answer points to the records process), federal,
    out of state or on the host's deny-list (R29), the purpose is prohibited (R7), the request is
    exigent and the host agency's policy takes none (R25, issue 17: `exigent_not_accepted`), or
    no MOU in force covers it (R28)."""
    filed, verdict = await service.file(ctx, session, principal, body)
    if verdict.refusal is None:
        return filed
    problem = {**service.refusal_problem(filed, verdict), "request_id": request_id_var.get()}
    return JSONResponse(problem, status_code=403, media_type=PROBLEM_MEDIA_TYPE)


@router.get("/v1/requests", **view(Action.SHARING_REQUEST_VIEWED))
async def list_requests(
    ctx: Ctx,
    session: DbSession,
    principal: RequestReader,
    status: RequestStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RequestPublic]:
    """Requests on file, newest first: the host's (staff) or the partner's own."""
    return await service.list_requests(ctx, session, principal, status, limit)


@router.get("/v1/requests/{request_id}", **view(Action.SHARING_REQUEST_VIEWED, refuses=(NotFound,)))
async def get_request(
    ctx: Ctx, session: DbSession, principal: RequestReader, request_id: uuid.UUID
) -> RequestPublic:
    """One request (a partner sees only its own; anything else is 404)."""
    return await service.view(ctx, session, principal, request_id)


@router.post(
    "/v1/requests/{request_id}/decision",
    **change(Action.SHARING_DECIDED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def decide_request(
    ctx: Ctx, session: DbSession, principal: Decider, request_id: uuid.UUID, body: DecisionIn
) -> RequestPublic:
    """Approves or denies (a commander; for an exigent request also a supervisor, R25), with the
    approver, time and note on file and on the ledger. The requester never decides."""
    return await service.decide(ctx, session, principal, request_id, body)


@router.get(
    "/v1/requests/{request_id}/results", **view(Action.SHARING_RELEASED, refuses=(NotFound, Unavailable))
)
async def request_results(
    ctx: Ctx, session: DbSession, principal: Partner, request_id: uuid.UUID, cursor: Cursor = None
) -> Results:
    """Exactly the approved scope, at most the MOU's `max_results` and the host agency's policy's
    `sharing.max_results` (issue 17; `capped` when more matched), to the requesting partner,
    within `release_window_hours` of approval while the MOU is in force; the release is on the
    ledger first. Every other case is the same 404 (R27)."""
    return await service.results(ctx, session, principal, request_id, cursor)


@router.get(
    "/v1/shared-hotlist", tags=["hotlists"], **view(Action.SHARING_RELEASED, refuses=(NotFound, Unavailable))
)
async def shared_hotlist(ctx: Ctx, session: DbSession, principal: Partner) -> SharedHotlist:
    """Our entries flagged shareable, for partners whose MOU in force shares hotlists; each with
    its `refreshed_at` (R11: the partner stops using it 24 hours after that)."""
    return await service.shared_hotlist(ctx, session, principal)
