"""``/v1/search-requests``: a supervisor's prior approval of a search in a warrant-style tier
(issue 17)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from alpr_common import (
    Action,
    AuditUnavailable,
    Conflict,
    DbReader,
    DbSession,
    NotFound,
    PurposeProhibited,
    change,
    view,
)

from ..context import Ctx
from ..roles import Investigator, RequestViewer, Supervisor
from . import service
from .schemas import ApprovalCreate, ApprovalDecisionIn, ApprovalPage, ApprovalPublic

router = APIRouter(tags=["search-requests"])


@router.post(
    "/v1/search-requests",
    **change(Action.SEARCH_REQUEST_CREATED, status=201, refuses=(PurposeProhibited, AuditUnavailable)),
)
async def create_search_request(
    ctx: Ctx, session: DbSession, principal: Investigator, body: ApprovalCreate
) -> ApprovalPublic:
    """Asks a supervisor to approve one search before it runs (issue 17: a search in a
    warrant-style tier); pending until decided."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/search-requests", **view(Action.SEARCH_REQUEST_VIEWED, refuses=(AuditUnavailable,)))
async def list_search_requests(
    ctx: Ctx, reader: DbReader, principal: RequestViewer, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> ApprovalPage:
    """The agency's search requests, newest first: a supervisor sees all, others their own."""
    return await service.listing(ctx, reader, principal, limit)


@router.get(
    "/v1/search-requests/{request_id}",
    **view(Action.SEARCH_REQUEST_VIEWED, refuses=(NotFound, AuditUnavailable)),
)
async def get_search_request(
    ctx: Ctx, reader: DbReader, principal: RequestViewer, request_id: uuid.UUID
) -> ApprovalPublic:
    """One search request (R27: another agency's, or someone else's to a non-supervisor, is 404)."""
    return await service.view(ctx, reader, principal, request_id)


@router.post(
    "/v1/search-requests/{request_id}/decision",
    **change(Action.SEARCH_REQUEST_DECIDED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def decide_search_request(
    ctx: Ctx, session: DbSession, principal: Supervisor, request_id: uuid.UUID, body: ApprovalDecisionIn
) -> ApprovalPublic:
    """A supervisor of the same agency approves or rejects a search request, never their own
    (403); an approval is valid once, for ``SEARCH_APPROVAL_VALID_HOURS``."""
    return await service.decide(ctx, session, principal, request_id, body)
