"""Persistence of webhook subscriptions and of their delivery log (the outbox they drain)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..tables import deliveries, webhooks
from .topic import WEBHOOK_TOPIC


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(webhooks.insert().values(**row))


async def get(session: AsyncSession, agency: str, webhook_id: uuid.UUID) -> RowMapping | None:
    q = select(webhooks).where(webhooks.c.agency == agency, webhooks.c.id == webhook_id)
    return (await session.execute(q)).mappings().first()


async def list_all(session: AsyncSession, agency: str) -> list[RowMapping]:
    q = select(webhooks).where(webhooks.c.agency == agency).order_by(webhooks.c.created_at, webhooks.c.id)
    return list((await session.execute(q)).mappings().all())


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


async def enqueue(session: AsyncSession, event: str, alerts: Sequence[dict[str, Any]], at: datetime) -> None:
    await session.execute(
        _ENQUEUE,
        {
            "event": event,
            "at": at,
            "ids": [a["id"] for a in alerts],
            "agencies": [a["agency"] for a in alerts],
            "hotlists": [a["hotlist_id"] for a in alerts],
            "payloads": [json.dumps(a["payload"]) for a in alerts],
        },
    )


async def log_page(
    session: AsyncSession, webhook_id: uuid.UUID, before: int | None, limit: int
) -> list[RowMapping]:
    q = select(deliveries).where(deliveries.c.webhook_id == webhook_id)
    if before is not None:
        q = q.where(deliveries.c.id < before)
    q = q.order_by(deliveries.c.id.desc()).limit(limit)
    return list((await session.execute(q)).mappings().all())


async def with_endpoints(conn: AsyncConnection, delivery_ids: Sequence[int]) -> list[RowMapping]:
    """The deliveries the outbox claimed, with their endpoint (read without locks: the outbox's
    lease keeps replicas from sending one twice at once)."""
    q = (
        select(deliveries, webhooks.c.url, webhooks.c.secret, webhooks.c.active)
        .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
        .where(deliveries.c.id.in_(list(delivery_ids)))
    )
    return list((await conn.execute(q)).mappings().all())


async def mark(
    conn: AsyncConnection,
    delivery_id: int,
    *,
    status: str,
    status_code: int | None,
    error: str | None,
    retry_in: timedelta | None,
    now: datetime,
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "attempts": deliveries.c.attempts + 1,
        "last_status_code": status_code,
        "last_error": error,
    }
    if status == "delivered":
        values["delivered_at"] = now
    if retry_in is not None:
        values["next_attempt_at"] = now + retry_in
    await conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))
