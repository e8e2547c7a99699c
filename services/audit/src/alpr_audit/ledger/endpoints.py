"""``/v1/events`` and ``/v1/ledger/verify``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import AwareDatetime

from alpr_common import (
    Action,
    AuditBatchIn,
    AuditEventIn,
    AuditReceipt,
    AuditReceipts,
    AuditUnavailable,
    Cursor,
    DbSession,
    Forbidden,
    Limit,
    Outcome,
    Page,
    Principal,
    Purpose,
    Role,
    TrainingRequired,
    Unauthenticated,
    ValidationProblem,
    problem_responses,
    require_roles,
)

from ..context import Ctx
from . import service
from .schemas import EventOut, VerifyOut

router = APIRouter(tags=["ledger"])
Service = Annotated[Principal, Depends(require_roles(Role.SERVICE))]
# R21: auditors, never a token that is also an administrator.
Auditor = Annotated[Principal, Depends(require_roles(Role.AUDITOR, separation_of_duties=True))]


@router.post(
    "/v1/events",
    response_model=AuditReceipt | AuditReceipts,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(Unauthenticated, Forbidden, ValidationProblem, AuditUnavailable),
)
async def post_events(
    ctx: Ctx, principal: Service, body: AuditEventIn | AuditBatchIn
) -> AuditReceipt | AuditReceipts:
    """Appends one event, or a batch (``{"events": [...]}``) in order; answers where they landed."""
    if isinstance(body, AuditBatchIn):
        return AuditReceipts(items=await service.record(ctx, body.events, principal))
    return (await service.record(ctx, [body], principal))[0]


@router.get(
    "/v1/events",
    response_model=Page[EventOut],
    responses=problem_responses(
        Unauthenticated, TrainingRequired, Forbidden, ValidationProblem, AuditUnavailable
    ),
)
async def get_events(
    ctx: Ctx,
    session: DbSession,
    principal: Auditor,
    action: Action | None = None,
    actor: Annotated[str | None, Query(max_length=256, description="The actor's `sub`.")] = None,
    plate: Annotated[str | None, Query(max_length=32)] = None,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    purpose: Purpose | None = None,
    outcome: Outcome | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[EventOut]:
    """The auditor's agency's events, newest first, filtered; the query itself is audited."""
    filters = service.EventFilters(
        action=action,
        actor=actor,
        plate=plate,
        case_number=case_number,
        purpose=str(purpose) if purpose else None,
        outcome=str(outcome) if outcome else None,
        since=since,
        until=until,
    )
    return await service.list_events(ctx, await session.connection(), principal, filters, limit, cursor)


@router.get(
    "/v1/ledger/verify",
    response_model=VerifyOut,
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, AuditUnavailable),
)
async def verify_ledger(
    ctx: Ctx,
    session: DbSession,
    principal: Auditor,
    first: Annotated[
        int | None, Query(alias="from", ge=1, le=2**53, description="First sequence number.")
    ] = None,
    last: Annotated[
        int | None, Query(alias="to", ge=1, le=2**53, description="Last sequence number.")
    ] = None,
) -> VerifyOut:
    """Recomputes the hash chain (or a range) and checks the signed checkpoints in it."""
    return await service.verify(ctx, await session.connection(), principal, first, last)
