"""Webhook subscriptions (administered by ``alpr_admin``) and the deliveries queued with each
alert event, in the transaction that makes the event: an alert is never committed without them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    BeforeSequence,
    OutboundBlocked,
    Page,
    Principal,
    actor_of,
    decode_cursor,
    found,
    invalid_body_field,
    new_webhook_secret,
    page_of,
)

from ..clock import now
from ..context import HotlistContext
from . import repository
from .repository import QueuedAlert, WebhookRow
from .schemas import DeliveryPublic, WebhookCreate, WebhookCreated, WebhookPublic


async def create(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, body: WebhookCreate
) -> WebhookCreated:
    try:  # issue 19: the outbound-URL policy now, and again at every delivery
        await ctx.settings.outbound_policy.check(str(body.url))
    except OutboundBlocked as exc:
        raise invalid_body_field("url", str(exc)) from None
    row = WebhookRow(
        id=uuid.uuid4(),
        agency=principal.agency,
        url=str(body.url),
        secret=new_webhook_secret(),
        hotlist_ids=body.hotlist_ids,
        description=body.description,
        active=True,
        created_by=actor_of(principal).model_dump(include={"sub", "name"}),
        created_at=now(),
    )
    await repository.create(session, row)
    data = {"webhook": "created", "url": row.url, "hotlist_ids": [str(h) for h in body.hotlist_ids or []]}
    await ctx.ledger.record_change(
        session, principal, Action.HOTLIST_UPDATED, targets=[str(row.id)], data=data
    )
    return WebhookCreated.model_validate(row, from_attributes=True)


async def require(session: AsyncSession, principal: Principal, webhook_id: uuid.UUID) -> WebhookRow:
    return found(await repository.get(session, principal.agency, webhook_id))


async def list_webhooks(session: AsyncSession, principal: Principal) -> list[WebhookPublic]:
    return [
        WebhookPublic.model_validate(r, from_attributes=True)
        for r in await repository.list_all(session, principal.agency)
    ]


async def deactivate(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, webhook_id: uuid.UUID
) -> WebhookPublic:
    row = await require(session, principal, webhook_id)
    await repository.deactivate(session, webhook_id)
    await ctx.ledger.record_change(
        session,
        principal,
        Action.HOTLIST_UPDATED,
        targets=[str(webhook_id)],
        data={"webhook": "deactivated", "url": row.url},
    )
    return WebhookPublic.model_validate(replace(row, active=False), from_attributes=True)


async def deliveries(
    session: AsyncSession, principal: Principal, webhook_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[DeliveryPublic]:
    await require(session, principal, webhook_id)
    position = decode_cursor(cursor, BeforeSequence)
    rows = await repository.log_page(session, webhook_id, position.before if position else None, limit + 1)
    return page_of(
        rows,
        limit,
        lambda r: DeliveryPublic.model_validate(r, from_attributes=True),
        lambda last: BeforeSequence(before=last.id),
    )


async def queue(session: AsyncSession, event: str, alerts: Sequence[QueuedAlert]) -> None:
    """Queues one delivery per subscribed webhook of each alert's agency and hotlist.

    Each alert's ``data`` is its public data plus ``crop_key`` (the URL is presigned at send
    time, so a retried delivery never carries an expired link)."""
    if not alerts:
        return
    await repository.enqueue(session, event, alerts, now())
