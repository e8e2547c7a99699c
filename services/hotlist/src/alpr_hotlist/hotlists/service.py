"""Designation of hotlists by the administrator (R9), audited."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    AfterId,
    Conflict,
    Page,
    Principal,
    actor_of,
    decode_cursor,
    found,
    page_of,
)

from ..clock import now
from ..context import HotlistContext
from . import repository
from .repository import HotlistRow, HotlistSummary
from .schemas import HotlistCreate, HotlistPublic, HotlistUpdate


def public(ctx: HotlistContext, row: HotlistSummary) -> HotlistPublic:
    fresh_since = now() - timedelta(hours=ctx.settings.freshness_hours)
    last = row.last_synced_at
    stale = bool(row.never_synced) or (last is not None and last < fresh_since)
    # The row's own fields (the creator and the sync flag are not shown), and whether it is stale.
    return HotlistPublic.model_validate({**vars(row), "stale": stale})


async def create(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, body: HotlistCreate
) -> HotlistPublic:
    if await repository.by_name(session, principal.agency, body.name) is not None:
        raise Conflict("The agency already has a hotlist of this name.")
    stamp = now()
    # The body's fields are the row's own, its kind as its column value.
    row = HotlistRow(
        id=uuid.uuid4(),
        agency=principal.agency,
        **body.model_dump(mode="json"),
        created_by=actor_of(principal).model_dump(include={"sub", "name"}),
        created_at=stamp,
        updated_at=stamp,
    )
    await repository.create(session, row)
    await ctx.ledger.record_change(
        session, principal, Action.HOTLIST_CREATED, targets=[str(row.id)], data=body.model_dump(mode="json")
    )
    return await get(ctx, session, principal, row.id)


async def get(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, hotlist_id: uuid.UUID
) -> HotlistPublic:
    row = found(await repository.get(session, principal.agency, hotlist_id, now()))
    return public(ctx, row)


async def require(session: AsyncSession, principal: Principal, hotlist_id: uuid.UUID) -> HotlistRow:
    """The hotlist of the caller's agency, or 404 (another agency's list looks unknown)."""
    return found(await repository.exists(session, principal.agency, hotlist_id))


async def list_hotlists(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> Page[HotlistPublic]:
    position = decode_cursor(cursor, AfterId)
    rows = await repository.list_page(
        session, principal.agency, position.after if position else None, limit + 1, now()
    )
    return page_of(rows, limit, partial(public, ctx), lambda last: AfterId(after=last.id))


async def update(
    ctx: HotlistContext,
    session: AsyncSession,
    principal: Principal,
    hotlist_id: uuid.UUID,
    body: HotlistUpdate,
) -> HotlistPublic:
    current = await require(session, principal, hotlist_id)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if "name" in changes and changes["name"] != current.name:
        if await repository.by_name(session, principal.agency, changes["name"]) is not None:
            raise Conflict("The agency already has a hotlist of this name.")
    if changes:
        await repository.update_hotlist(session, hotlist_id, {**changes, "updated_at": now()})
        await ctx.ledger.record_change(
            session, principal, Action.HOTLIST_UPDATED, targets=[str(hotlist_id)], data=changes
        )
    return await get(ctx, session, principal, hotlist_id)
