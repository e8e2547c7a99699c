"""Every SQL statement on webhook subscriptions and their delivery log (the outbox they drain),
but the one that logs a try (``alpr_common.log_try``, as sharing's notifications do)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import DeliveryLogRow, FromRow, rows_before

from ..alerts.repository import key_arrays
from ..tables import deliveries, webhooks
from .topic import WEBHOOK_TOPIC


@dataclass(frozen=True)
class WebhookRow(FromRow):
    """A webhook subscription: one row of ``hotlist.webhooks``, its fields in column order."""

    id: uuid.UUID
    agency: str
    url: str
    secret: str
    hotlist_ids: list[uuid.UUID] | None
    description: str | None
    active: bool
    created_by: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRow(DeliveryLogRow):
    """One delivery of an alert event to a webhook: one row of ``hotlist.deliveries``.
    ``payload`` is the event's JSON body as queued (the crop as a key)."""

    webhook_id: uuid.UUID
    alert_id: uuid.UUID
    event: str


@dataclass(frozen=True)
class OutgoingDelivery(DeliveryRow):
    """A delivery to send, with its endpoint as it is now."""

    url: str
    secret: str
    active: bool


@dataclass(frozen=True)
class QueuedAlert:
    """An alert event to deliver: the alert's id, agency and hotlist (which subscriptions get it)
    and its webhook data."""

    id: uuid.UUID
    agency: str
    hotlist_id: uuid.UUID
    data: dict[str, Any]


async def create(session: AsyncSession, row: WebhookRow) -> None:
    await session.execute(webhooks.insert().values(**asdict(row)))


async def get(session: AsyncSession, agency: str, webhook_id: uuid.UUID) -> WebhookRow | None:
    q = select(webhooks).where(webhooks.c.agency == agency, webhooks.c.id == webhook_id)
    return await WebhookRow.first(session, q)


async def list_all(session: AsyncSession, agency: str) -> list[WebhookRow]:
    q = select(webhooks).where(webhooks.c.agency == agency).order_by(webhooks.c.created_at, webhooks.c.id)
    return [WebhookRow.of(row) for row in (await session.execute(q)).mappings()]


async def deactivate(session: AsyncSession, webhook_id: uuid.UUID) -> None:
    await session.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(active=False))


# One delivery per active subscription of each alert's agency (and hotlist, when it names some),
# in one statement: nothing is sent from here, the dispatcher drains the queue.
_ENQUEUE = text(
    f"""
    WITH hooks AS (
        INSERT INTO hotlist.deliveries
            (message_id, webhook_id, alert_id, event, payload, status, attempts, next_attempt_at, created_at)
        SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.id, a.id, :event, a.payload,
               'pending', 0, :at, :at
        FROM unnest(CAST(:ids AS uuid[]), CAST(:agencies AS text[]), CAST(:hotlists AS uuid[]),
                    CAST(:payloads AS jsonb[])) AS a(id, agency, hotlist_id, payload)
        JOIN hotlist.webhooks w
          ON w.agency = a.agency AND w.active
             AND (w.hotlist_ids IS NULL OR a.hotlist_id = ANY (w.hotlist_ids))
        RETURNING id, message_id
    )
    INSERT INTO hotlist.outbox_messages (message_id, topic, payload)
    SELECT CAST(substr(message_id, 5) AS uuid), '{WEBHOOK_TOPIC}', jsonb_build_object('delivery_id', id)
    FROM hooks
    """
)


async def enqueue(session: AsyncSession, event: str, alerts: Sequence[QueuedAlert], at: datetime) -> None:
    """One delivery of ``event`` per subscription each alert's agency and hotlist have, each
    with its body (type, timestamp ``at`` and the alert's data) and its outbox message."""
    payloads = [{"type": event, "timestamp": at.isoformat(), "data": a.data} for a in alerts]
    await session.execute(
        _ENQUEUE,
        {
            "event": event,
            "at": at,
            **key_arrays(alerts),
            "payloads": [json.dumps(payload) for payload in payloads],
        },
    )


async def log_page(
    session: AsyncSession, webhook_id: uuid.UUID, before: int | None, limit: int
) -> list[DeliveryRow]:
    q = rows_before(
        select(deliveries).where(deliveries.c.webhook_id == webhook_id), deliveries.c.id, before, limit
    )
    return [DeliveryRow.of(row) for row in (await session.execute(q)).mappings()]


async def with_endpoints(conn: AsyncConnection, delivery_ids: Sequence[int]) -> list[OutgoingDelivery]:
    """The deliveries the outbox claimed, with their endpoint (read without locks: the outbox's
    lease keeps replicas from sending one twice at once)."""
    q = (
        select(deliveries, webhooks.c.url, webhooks.c.secret, webhooks.c.active)
        .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
        .where(deliveries.c.id.in_(list(delivery_ids)))
    )
    return [OutgoingDelivery.of(row) for row in (await conn.execute(q)).mappings()]
