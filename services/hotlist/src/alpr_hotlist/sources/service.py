"""Sources of hotlists (R10): where a list's data comes from and how often it is refreshed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    BeforeTime,
    Page,
    Principal,
    ValidationProblem,
    actor_of,
    decode_cursor,
    found,
    invalid_body_field,
    page_of,
)

from ..clock import now
from ..context import HotlistContext
from ..hotlists import service as hotlists
from . import repository
from .fetch import check_secret_env, check_token_url, check_url
from .repository import SourceRow
from .schemas import SourceCreate, SourcePublic, SourceUpdate, SyncPublic
from .sync import SyncDeps, sync_source


def deps_of(ctx: HotlistContext) -> SyncDeps:
    return SyncDeps(settings=ctx.settings, sessions=ctx.sessions, clients=ctx.clients, outbound=ctx.outbound)


def _without_credentials(url: str) -> str:
    """A URL as shown: ``user:password@`` of a row stored before issue 19 is never answered."""
    if "@" not in urlsplit(url).netloc:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def public(ctx: HotlistContext, row: SourceRow) -> SourcePublic:
    last = row.last_success_at
    stale = last is None or last < now() - timedelta(hours=ctx.settings.freshness_hours)
    # The row's own fields (not its agency or creator), its URLs without credentials, and whether
    # it is stale.
    return SourcePublic.model_validate(
        {
            **vars(row),
            "url": _without_credentials(row.url),
            "token_url": None if row.token_url is None else _without_credentials(row.token_url),
            "stale": stale,
        }
    )


async def _check(ctx: HotlistContext, fields: dict[str, Any]) -> None:
    """The URLs and the secret variable a source is given (issue 19): the outbound-URL policy,
    no credentials in URLs, and only variables the operator lists."""
    checks = {"url": check_url, "token_url": check_token_url}
    for field, check in checks.items():
        if fields.get(field):
            try:
                await check(fields[field], ctx.settings)
            except ValueError as exc:
                raise invalid_body_field(field, str(exc)) from None
    if fields.get("client_secret_env"):
        try:
            check_secret_env(fields["client_secret_env"], ctx.settings)
        except ValueError as exc:
            raise invalid_body_field("client_secret_env", str(exc)) from None


async def create(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, body: SourceCreate
) -> SourcePublic:
    await hotlists.require(session, principal, body.hotlist_id)
    await _check(ctx, body.model_dump())
    if body.token_url:
        if not (body.client_id and body.client_secret_env):
            raise ValidationProblem("A source with a token_url also names client_id and client_secret_env.")
    row = SourceRow(
        id=uuid.uuid4(),
        hotlist_id=body.hotlist_id,
        agency=principal.agency,
        url=body.url,
        format=body.format.value,
        interval_minutes=body.interval_minutes or ctx.settings.default_sync_minutes,
        enabled=body.enabled,
        token_url=body.token_url,
        client_id=body.client_id,
        client_secret_env=body.client_secret_env,
        created_by=actor_of(principal).model_dump(include={"sub", "name"}),
        created_at=now(),
    )
    await repository.create(session, row)
    data = {
        "source": "created",
        "url": body.url,
        "format": row.format,
        "interval_minutes": row.interval_minutes,
    }
    targets = [str(body.hotlist_id), str(row.id)]
    await ctx.ledger.record_change(session, principal, Action.HOTLIST_UPDATED, targets=targets, data=data)
    return public(ctx, row)


async def require(session: AsyncSession, principal: Principal, source_id: uuid.UUID) -> SourceRow:
    return found(await repository.get(session, source_id, agency=principal.agency))


async def get(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, source_id: uuid.UUID
) -> SourcePublic:
    return public(ctx, await require(session, principal, source_id))


async def list_sources(
    ctx: HotlistContext, session: AsyncSession, principal: Principal
) -> list[SourcePublic]:
    return [public(ctx, r) for r in await repository.list_for(session, principal.agency)]


async def update(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, source_id: uuid.UUID, body: SourceUpdate
) -> SourcePublic:
    row = await require(session, principal, source_id)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    await _check(ctx, changes)
    if changes:
        await repository.update_source(session, source_id, changes)
        await ctx.ledger.record_change(
            session,
            principal,
            Action.HOTLIST_UPDATED,
            targets=[str(row.hotlist_id), str(source_id)],
            data={"source": "updated", **changes},
        )
    return await get(ctx, session, principal, source_id)


async def sync_now(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, source_id: uuid.UUID
) -> SyncPublic:
    await require(session, principal, source_id)
    return await sync_source(deps_of(ctx), source_id, principal)


async def sync_log(
    session: AsyncSession, principal: Principal, source_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[SyncPublic]:
    await require(session, principal, source_id)
    position = decode_cursor(cursor, BeforeTime)
    before = position.before if position else None
    rows = await repository.sync_log(session, source_id, before, limit + 1)
    return page_of(
        rows,
        limit,
        lambda r: SyncPublic.model_validate(r, from_attributes=True),
        lambda last: BeforeTime(before=last.started_at),
    )
