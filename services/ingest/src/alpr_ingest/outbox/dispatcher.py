"""Delivers the outbox: reads to search (detections) and hotlist (matches), in batches,
retrying with backoff until each acknowledges. Rows stay locked while a batch is in flight,
so replicas never send the same row twice at once; consumers are idempotent on the read id,
so a retry after a lost acknowledgement stores nothing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from alpr_common import DetectionBatch, MatchBatch, ServiceClients

from ..tables import outbox

_log = structlog.get_logger("alpr.ingest.outbox")


async def deliver_once(
    engine: AsyncEngine, clients: ServiceClients, destination: str, batch_size: int, max_backoff_s: float
) -> int:
    """One batch for one destination; answers how many rows were delivered."""
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.id, outbox.c.payload, outbox.c.attempts)
                .where(
                    outbox.c.destination == destination,
                    outbox.c.delivered_at.is_(None),
                    outbox.c.next_attempt_at <= func.now(),
                )
                .order_by(outbox.c.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        ids = [r.id for r in rows]
        try:
            await _send(clients, destination, [r.payload for r in rows])
        except Exception as exc:  # noqa: BLE001 - retried with backoff, never dropped
            await _retry_later(conn, ids, max(r.attempts for r in rows), max_backoff_s, repr(exc))
            _log.warning("outbox_delivery_failed", destination=destination, rows=len(ids), error=repr(exc))
            return 0
        await conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(delivered_at=func.now()))
        return len(ids)


async def _send(clients: ServiceClients, destination: str, payloads: list[dict[str, Any]]) -> None:
    if destination == "search":
        await clients.search.detections_batch(DetectionBatch.model_validate({"detections": payloads}))
    else:
        await clients.hotlist.matches(MatchBatch.model_validate({"reads": payloads}))


async def _retry_later(
    conn: AsyncConnection, ids: list[int], attempts: int, max_backoff_s: float, error: str
) -> None:
    delay = min(max_backoff_s, 0.5 * 2 ** min(attempts, 16))
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(
            attempts=outbox.c.attempts + 1,
            next_attempt_at=func.now() + timedelta(seconds=delay),
            last_error=error[:500],
        )
    )


async def run(
    engine: AsyncEngine, clients: ServiceClients, batch_size: int, poll_s: float, max_backoff_s: float
) -> None:
    """Delivers until cancelled; idle polls sleep ``poll_s``."""
    while True:
        delivered = 0
        for destination in ("search", "hotlist"):
            try:
                delivered += await deliver_once(engine, clients, destination, batch_size, max_backoff_s)
            except Exception as exc:  # noqa: BLE001 - the database may be restarting; try again
                _log.warning("outbox_poll_failed", error=repr(exc))
        if not delivered:
            await asyncio.sleep(poll_s)


async def pending(conn: AsyncConnection) -> dict[str, tuple[int, float]]:
    """Per destination: undelivered rows and the age in seconds of the oldest."""
    rows = (
        await conn.execute(
            select(
                outbox.c.destination,
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0),
            )
            .where(and_(outbox.c.delivered_at.is_(None)))
            .group_by(outbox.c.destination)
        )
    ).all()
    return {r[0]: (int(r[1]), float(r[2])) for r in rows}
