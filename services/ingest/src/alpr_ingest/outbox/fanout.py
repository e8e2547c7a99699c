"""Reads fan out to search (detections) and hotlist (matches) through the outbox engine
(issue 16): the messages are written in the read's own transaction, sent in batches with no
transaction open, retried with backoff for as long as a consumer is down, never dropped.
Consumers are idempotent on the read id, so a resend after a lost answer stores nothing twice."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import (
    DetectionBatch,
    DetectionRecord,
    MatchBatch,
    MatchRead,
    OutboxDispatcher,
    OutboxHandler,
    OutboxMessage,
    OutboxSettings,
    ServiceClients,
)

from ..settings import Settings
from ..tables import outbox_messages

SEARCH, HOTLIST = "search", "hotlist"
TOPICS = (SEARCH, HOTLIST)
# A consumer down for hours is waited for: only the operator dead-letters (alpr outbox).
NEVER_GIVE_UP = 1_000_000


def message_id(read_id: uuid.UUID, topic: str) -> uuid.UUID:
    """The one message of a read for a consumer (the same in SQL: md5(read_id || topic)::uuid)."""
    return uuid.UUID(hashlib.md5(f"{read_id}{topic}".encode(), usedforsecurity=False).hexdigest())


def dispatcher(
    engine: AsyncEngine, clients: ServiceClients, settings: Settings, registry: CollectorRegistry
) -> OutboxDispatcher:
    async def to_search(messages: Sequence[OutboxMessage[DetectionRecord]]) -> None:
        await clients.search.detections_batch(DetectionBatch(detections=[m.payload for m in messages]))

    async def to_hotlist(messages: Sequence[OutboxMessage[MatchRead]]) -> None:
        await clients.hotlist.matches(MatchBatch(reads=[m.payload for m in messages]))

    return OutboxDispatcher(
        engine,
        outbox_messages,
        {SEARCH: OutboxHandler(DetectionRecord, to_search), HOTLIST: OutboxHandler(MatchRead, to_hotlist)},
        OutboxSettings(
            batch_size=settings.outbox_batch,
            poll_s=settings.outbox_poll_seconds,
            backoff_base_s=min(0.5, settings.outbox_max_backoff_seconds),
            backoff_cap_s=settings.outbox_max_backoff_seconds,
            max_attempts=NEVER_GIVE_UP,
        ),
        registry,
    )
