"""``/v1/events`` and ``/v1/ledger/verify``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
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
    Limit,
    Outcome,
    Page,
    Purpose,
    ServicePrincipal,
    machine,
    view,
)

from ..auditors import AgencyAuditorPrincipal
from ..context import Ctx
from . import service
from .schemas import EventOut, VerifyOut

router = APIRouter(tags=["ledger"])


@router.post("/v1/events", **machine(status=201, refuses=(AuditUnavailable,)))
async def post_events(
    ctx: Ctx, principal: ServicePrincipal, body: AuditEventIn | AuditBatchIn, response: Response
) -> AuditReceipt | AuditReceipts:
    """Appends one event, or a batch (``{"events": [...]}``) in order; answers where they landed.
    An event whose ``event_id`` the ledger already holds is not appended again: its receipt is
    the first one's (``duplicate: true``), and a request of nothing but repeats answers 200."""
    events = body.events if isinstance(body, AuditBatchIn) else [body]
    receipts = await service.record(ctx, events, principal)
    if all(r.duplicate for r in receipts):
        response.status_code = status.HTTP_200_OK
    return AuditReceipts(items=receipts) if isinstance(body, AuditBatchIn) else receipts[0]


@router.get("/v1/events", **view(Action.LEDGER_QUERIED, refuses=(AuditUnavailable,)))
async def get_events(
    ctx: Ctx,
    session: DbSession,
    principal: AgencyAuditorPrincipal,
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


@router.get("/v1/ledger/verify", **view(Action.LEDGER_VERIFIED, refuses=(AuditUnavailable,)))
async def verify_ledger(
    ctx: Ctx,
    session: DbSession,
    principal: AgencyAuditorPrincipal,
    first: Annotated[
        int | None, Query(alias="from", ge=1, le=2**53, description="First sequence number.")
    ] = None,
    last: Annotated[
        int | None, Query(alias="to", ge=1, le=2**53, description="Last sequence number.")
    ] = None,
) -> VerifyOut:
    """Recomputes the hash chain (or a range) and checks the signed checkpoints in it."""
    return await service.verify(ctx, await session.connection(), principal, first, last)
