"""``/v1/sources`` (``alpr_admin``): hotlist feeds, syncing on demand, and the sync log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alpr_common import (
    Action,
    AdminPrincipal,
    AuditUnavailable,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    read,
)

from ..context import Ctx
from . import service
from .schemas import SourceCreate, SourcePublic, SourceUpdate, SyncPublic

router = APIRouter(tags=["sources"])


@router.post(
    "/v1/sources", **change(Action.HOTLIST_UPDATED, status=201, refuses=(NotFound, AuditUnavailable))
)
async def create_source(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: SourceCreate
) -> SourcePublic:
    """Feeds a hotlist from a CSV extract or a partner's shared-hotlist feed (R10); it syncs
    at its interval (at least daily) and on `POST /v1/sources/{id}:sync`."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/sources", **read())
async def list_sources(ctx: Ctx, session: DbSession, principal: AdminPrincipal) -> list[SourcePublic]:
    """The agency's sources with their last sync and freshness (R11)."""
    return await service.list_sources(ctx, session, principal)


@router.post(
    "/v1/sources/{source_id}:sync", **change(Action.HOTLIST_SYNCED, refuses=(NotFound, AuditUnavailable))
)
async def sync_source(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, source_id: uuid.UUID
) -> SyncPublic:
    """Syncs now. The answer is the sync as logged: `ok` (the list was replaced; bad rows left
    out and listed by line) or `failed` (unreachable or malformed feed: nothing changed)."""
    return await service.sync_now(ctx, session, principal, source_id)


@router.get("/v1/sources/{source_id}", **read(refuses=(NotFound,)))
async def get_source(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, source_id: uuid.UUID
) -> SourcePublic:
    """One source."""
    return await service.get(ctx, session, principal, source_id)


@router.patch(
    "/v1/sources/{source_id}", **change(Action.HOTLIST_UPDATED, refuses=(NotFound, AuditUnavailable))
)
async def update_source(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, source_id: uuid.UUID, body: SourceUpdate
) -> SourcePublic:
    """Changes a source's URL, format, interval, or turns it off."""
    return await service.update(ctx, session, principal, source_id, body)


@router.get("/v1/sources/{source_id}/syncs", **read(refuses=(NotFound,)))
async def list_syncs(
    session: DbSession,
    principal: AdminPrincipal,
    source_id: uuid.UUID,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[SyncPublic]:
    """The sync log, newest first, with the bad rows of each by line."""
    return await service.sync_log(session, principal, source_id, limit, cursor)
