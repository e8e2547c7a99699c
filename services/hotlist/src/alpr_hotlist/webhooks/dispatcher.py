"""Sends webhook deliveries through the outbox engine (issue 16): each delivery in the log
(``hotlist.deliveries``, what ``GET /v1/webhooks/{id}/deliveries`` shows) has a message in
``hotlist.outbox_messages`` written in the same transaction as the alert or its move. The
engine claims them with a lease and calls the receivers with no transaction or lock held,
retries failures with exponential backoff, and gives up after ``HOTLIST_WEBHOOK_MAX_ATTEMPTS``
(the delivery is then `failed`, visible in the log). The same `webhook-id` goes with every
retry, so receivers can drop duplicates."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import (
    OutboundClient,
    OutboxDispatcher,
    OutboxHandler,
    OutboxMessage,
    OutboxOutcome,
    SignedDelivery,
    log_try,
    send_signed,
)

from ..clock import now
from ..settings import Settings
from ..tables import deliveries, outbox_messages
from ..telemetry import HotlistMetrics
from . import repository
from .repository import DeliveryRow, OutgoingDelivery
from .topic import WEBHOOK_TOPIC

_log = structlog.get_logger("alpr.hotlist.webhooks")
Presign = Callable[[str | None], str | None]


class DeliveryMessage(BaseModel):
    """A webhook delivery waiting to be sent: its row in the delivery log."""

    delivery_id: int


def body_of(row: DeliveryRow, presign: Presign) -> str:
    payload: dict[str, Any] = json.loads(json.dumps(row.payload))
    data = payload["data"]
    data["crop_url"] = presign(data.pop("crop_key", None))
    return json.dumps(payload, separators=(",", ":"))


async def _send(
    http: OutboundClient,
    row: OutgoingDelivery,
    presign: Presign,
    timeout: float,
    metrics: HotlistMetrics | None,
) -> tuple[int | None, str | None]:
    """(status code, error); error is None on a 2xx answer."""
    if not row.active:
        return None, "the webhook was deactivated"
    began = time.perf_counter()
    try:
        return await send_signed(http, row.url, row.secret, row.message_id, body_of(row, presign), timeout)
    finally:
        if metrics is not None:
            metrics.delivery_seconds.observe(time.perf_counter() - began)


def dispatcher(
    engine: AsyncEngine,
    http: OutboundClient,
    settings: Settings,
    presign: Presign,
    registry: CollectorRegistry | None = None,
    metrics: HotlistMetrics | None = None,
) -> OutboxDispatcher:
    """The engine's dispatcher of webhook deliveries."""
    delivery = SignedDelivery(
        poll_s=settings.webhook_poll_seconds,
        max_attempts=settings.webhook_max_attempts,
        max_backoff_s=settings.webhook_max_backoff_seconds,
        timeout_s=settings.webhook_timeout_seconds,
    )

    async def send(messages: Sequence[OutboxMessage[DeliveryMessage]]) -> Mapping[uuid.UUID, OutboxOutcome]:
        by_delivery = {m.payload.delivery_id: m for m in messages}
        async with engine.connect() as conn:
            rows = await repository.with_endpoints(conn, list(by_delivery))
        results = await asyncio.gather(*(_send(http, r, presign, delivery.timeout_s, metrics) for r in rows))
        outcomes: dict[uuid.UUID, OutboxOutcome] = {
            m.message_id: OutboxOutcome.failed("the delivery is no longer in the log")
            for m in messages
            if m.payload.delivery_id not in {r.id for r in rows}
        }
        stamp = now()
        async with engine.begin() as conn:
            for row, (code, error) in zip(rows, results, strict=True):
                message = by_delivery[row.id]
                verdict = delivery.judge(error, message.attempt, receiver_gone=not row.active)
                attempts = deliveries.c.attempts + 1
                await log_try(conn, deliveries, row.id, verdict, (code, error), attempts=attempts, now=stamp)
                outcomes[message.message_id] = verdict.outcome
                if metrics is not None:
                    metrics.deliveries.labels(verdict.outcome.kind).inc()  # delivered, retry, failed
                if error is not None:
                    _log.warning(
                        "webhook_delivery_failed", delivery=row.id, attempts=message.attempt, error=error
                    )
        return outcomes

    return delivery.dispatcher(
        engine, outbox_messages, WEBHOOK_TOPIC, OutboxHandler(DeliveryMessage, send), registry
    )
