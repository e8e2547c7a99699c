"""``/v1/hotlists/{id}/entries``: local entries and their approval (R12)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from alpr_common import (
    Action,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    view,
)

from ..context import Ctx
from ..roles import Approver, HotlistStaff
from ..vocabulary import EntryStatus
from . import service
from .schemas import Decision, EntryCreate, EntryPublic, EntryUpdate

router = APIRouter(tags=["hotlist entries"])
_REFUSES = (NotFound, Conflict, AuditUnavailable)
ENTRY = "/v1/hotlists/{hotlist_id}/entries/{entry_id}"


@router.post(
    "/v1/hotlists/{hotlist_id}/entries", **change(Action.HOTLIST_ENTRY_CREATED, status=201, refuses=_REFUSES)
)
async def create_entry(
    ctx: Ctx, session: DbSession, principal: HotlistStaff, hotlist_id: uuid.UUID, body: EntryCreate
) -> EntryPublic:
    """Enters a plate (full or partial, R8) with its case number and synopsis; it is `pending`
    until the ALPR administrator approves it (R12)."""
    return await service.create(ctx, session, principal, hotlist_id, body)


@router.get("/v1/hotlists/{hotlist_id}/entries", **view(Action.HOTLIST_ENTRY_VIEWED, refuses=(NotFound,)))
async def list_entries(
    ctx: Ctx,
    session: DbSession,
    principal: HotlistStaff,
    hotlist_id: uuid.UUID,
    status: EntryStatus | None = None,
    plate: Annotated[str | None, Query(max_length=24)] = None,
    awaiting_approval: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[EntryPublic]:
    """A hotlist's entries; `awaiting_approval=true` lists new entries and changes to decide."""
    return await service.list_entries(
        ctx,
        session,
        principal,
        hotlist_id,
        status=status,
        plate=plate,
        awaiting_approval=awaiting_approval,
        limit=limit,
        cursor=cursor,
    )


def _decision_route(verb: str, action: Action, *, approve: bool, doc: str) -> None:
    """``POST ENTRY:{verb}`` (``{verb}_entry``): approving and rejecting differ only in the
    decision they make and the action they record."""

    async def decide(
        ctx: Ctx,
        session: DbSession,
        principal: Approver,
        hotlist_id: uuid.UUID,
        entry_id: uuid.UUID,
        body: Decision | None = None,
    ) -> EntryPublic:
        return await service.decide(
            ctx, session, principal, hotlist_id, entry_id, body or Decision(), approve=approve
        )

    decide.__name__ = decide.__qualname__ = f"{verb}_entry"
    decide.__doc__ = doc  # the route's OpenAPI text
    router.post(ENTRY + ":" + verb, **change(action, refuses=_REFUSES))(decide)


_decision_route(
    "approve",
    Action.HOTLIST_ENTRY_APPROVED,
    approve=True,
    doc="Approves a new entry (ALPR administrator) or a change (supervisor); never the member's own.",
)
_decision_route(
    "reject",
    Action.HOTLIST_ENTRY_REJECTED,
    approve=False,
    doc="Rejects a new entry or discards a change awaiting approval.",
)


@router.get(ENTRY, **view(Action.HOTLIST_ENTRY_VIEWED, refuses=(NotFound,)))
async def get_entry(
    ctx: Ctx, session: DbSession, principal: HotlistStaff, hotlist_id: uuid.UUID, entry_id: uuid.UUID
) -> EntryPublic:
    """One entry with who entered and approved it (the view is on the ledger first)."""
    return await service.view(ctx, session, principal, hotlist_id, entry_id)


@router.patch(ENTRY, **change(Action.HOTLIST_ENTRY_UPDATED, refuses=_REFUSES))
async def update_entry(
    ctx: Ctx,
    session: DbSession,
    principal: HotlistStaff,
    hotlist_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: EntryUpdate,
) -> EntryPublic:
    """Changes an entry; an active entry's change waits for a supervisor's approval (R12)."""
    return await service.update(ctx, session, principal, hotlist_id, entry_id, body)
