"""Outbox benchmark (`make bench`, issue 16): rows per second delivered end to end through the
outbox engine (enqueue, claim, send over HTTP, mark delivered) beside the same rows sent directly
in one loop, in the same batches, to the same loopback receiver in the same run (the baseline).

Goal (set here; the issue asks for the figures, not a number): one dispatcher delivers at least
50% of the direct loop's rate; the lease, the two short transactions per batch and the polling
are its whole cost. Size: BENCH_OUTBOX_ROWS (default 20000)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Sequence

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import MetaData, func, select, text

from alpr_common import (
    OutboxDispatcher,
    OutboxHandler,
    OutboxMessage,
    OutboxSettings,
    enqueue_many,
    make_engine,
    make_sessionmaker,
    outbox_table,
)
from alpr_devstack.testing import Infra, OutboxBatch, OutboxEnvelope, serve_http

pytestmark = pytest.mark.bench

ROWS = int(os.environ.get("BENCH_OUTBOX_ROWS", "20000"))
BATCH = 100
TOPIC = "reads"
JSON = {"content-type": "application/json"}


class Reading(BaseModel):
    camera_id: uuid.UUID
    plate: str
    seq: int


Envelope = OutboxEnvelope[Reading]
Batch = OutboxBatch[Reading]


def _readings(n: int) -> list[Reading]:
    camera = uuid.uuid4()
    return [Reading(camera_id=camera, plate=f"7ABC{i % 1000:03d}", seq=i) for i in range(n)]


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} rows/s ({seconds:.2f} s)"


async def test_outbox_delivery_throughput(infra: Infra) -> None:
    seen: Counter[uuid.UUID] = Counter()
    all_seen = asyncio.Event()  # no polling of the table: it would compete for the same CPUs
    receiver = FastAPI()

    @receiver.post("/messages")
    async def messages(batch: Batch) -> dict[str, int]:
        seen.update(m.message_id for m in batch.messages)
        if len(seen) == ROWS:
            all_seen.set()
        return {"accepted": len(batch.messages)}

    url = infra.create_database("bench")
    table = outbox_table(MetaData(schema="svc"))
    engines = [make_engine(url, application_name=f"bench-{i}", pool_size=4) for i in range(4)]
    figures: list[tuple[str, str]] = []
    try:
        async with engines[0].begin() as conn:
            await conn.execute(text("CREATE SCHEMA svc"))
            await conn.run_sync(table.metadata.create_all)
        async with serve_http(receiver) as base, httpx.AsyncClient() as client:

            async def post(envelopes: list[Envelope]) -> None:
                body = Batch(messages=envelopes).model_dump_json()
                resp = await client.post(f"{base}/messages", content=body, headers=JSON, timeout=30)
                resp.raise_for_status()

            async def send(batch: Sequence[OutboxMessage[Reading]]) -> None:
                await post([Envelope(message_id=m.message_id, payload=m.payload) for m in batch])

            handler = OutboxHandler(Reading, send)

            # Baseline: the same rows, in the same batches, straight to the receiver in one loop.
            rows = _readings(ROWS)
            ids = [uuid.uuid4() for _ in rows]
            started = time.perf_counter()
            for i in range(0, ROWS, BATCH):
                await post(
                    [
                        Envelope(message_id=m, payload=r)
                        for m, r in zip(ids[i : i + BATCH], rows[i : i + BATCH], strict=True)
                    ]
                )
            direct_s = time.perf_counter() - started
            figures.append(("direct: one loop, batches of 100 (baseline)", _rate(ROWS, direct_s)))
            assert len(seen) == ROWS

            async def through_engine(dispatchers: int, concurrency: int, label: str) -> tuple[float, float]:
                seen.clear()
                all_seen.clear()
                started = time.perf_counter()
                maker = make_sessionmaker(engines[0])
                for i in range(0, ROWS, 1000):
                    async with maker() as session:
                        await enqueue_many(session, table, TOPIC, rows[i : i + 1000])
                        await session.commit()
                enqueued = time.perf_counter()
                settings = OutboxSettings(
                    batch_size=BATCH,
                    concurrency=concurrency,
                    poll_s=0.01,
                    maintenance_s=60,
                    retention_hours=0,
                )
                running = [
                    OutboxDispatcher(engines[k], table, {TOPIC: handler}, settings)
                    for k in range(dispatchers)
                ]
                tasks = [asyncio.create_task(d.run()) for d in running]
                try:
                    await asyncio.wait_for(all_seen.wait(), 600)
                finally:
                    # stop() returns once the last batch's outcome is recorded.
                    await asyncio.gather(*(d.stop() for d in running))
                    await asyncio.gather(*tasks)
                delivered = time.perf_counter()
                assert len(seen) == ROWS
                assert max(seen.values()) == 1
                pending = select(func.count()).select_from(table).where(table.c.delivered_at.is_(None))
                async with engines[0].connect() as conn:
                    assert (await conn.execute(pending)).scalar_one() == 0
                deliver_s, total_s = delivered - enqueued, delivered - started
                figures.append((f"{label}: enqueue (1,000 per transaction)", _rate(ROWS, enqueued - started)))
                figures.append((f"{label}: delivery", _rate(ROWS, deliver_s)))
                figures.append((f"{label}: end to end (enqueue + delivery)", _rate(ROWS, total_s)))
                return deliver_s, total_s

            one_deliver_s, one_total_s = await through_engine(1, 1, "engine, 1 dispatcher")
            piped_s, _ = await through_engine(1, 4, "engine, 1 dispatcher, 4 batches in flight")
            four_deliver_s, _ = await through_engine(4, 1, "engine, 4 dispatchers")
    finally:
        for e in engines:
            await e.dispose()

    share = direct_s / one_deliver_s
    print(f"\n\noutbox benchmark ({ROWS:,} rows, batches of {BATCH}, loopback HTTP receiver, same run)")
    for name, value in figures:
        print(f"  {name:<55} {value}")
    print(
        f"  1 dispatcher delivers at {share:.0%} of the direct loop's rate "
        f"(goal >= 50%: {'met' if share >= 0.5 else 'MISSED'}); end to end {direct_s / one_total_s:.0%}; "
        f"1 dispatcher with 4 batches in flight {direct_s / piped_s:.0%}; "
        f"4 dispatchers {direct_s / four_deliver_s:.0%}"
    )
