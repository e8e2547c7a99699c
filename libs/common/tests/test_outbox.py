"""The outbox engine (issue 16, item 2) on real PostgreSQL, with a real HTTP receiver on loopback
where the delivery goes over HTTP: exactly once under failures and replicas, no transaction open
while sending, dead letters and replay, rollback, stop and crash, pruning."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import BaseModel
from sqlalchemy import Connection, MetaData, Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import (
    OutboxDispatcher,
    OutboxHandler,
    OutboxMessage,
    OutboxOutcome,
    OutboxSettings,
    create_outbox_table,
    drop_outbox_table,
    enqueue,
    enqueue_many,
    list_dead_letters,
    make_engine,
    make_sessionmaker,
    outbox_table,
    prune_outbox,
    replay_dead_letters,
)
from alpr_devstack.testing import Infra, OutboxBatch, OutboxEnvelope, serve_http

SCHEMA = "svc"
JSON = {"content-type": "application/json"}
TOPIC = "reads"


class Reading(BaseModel):
    plate: str
    seq: int


Envelope = OutboxEnvelope[Reading]
Batch = OutboxBatch[Reading]


class Answer(BaseModel):
    refused: list[uuid.UUID] = []  # not now: retry
    rejected: list[uuid.UUID] = []  # never: dead letter


@dataclass
class Receiver:
    """An HTTP receiver that records each message it acknowledges; fails a share of its calls
    (503), refuses (retry) or rejects (never) chosen messages, or hangs until released."""

    fail_rate: float = 0.0
    seed: int = 16
    seen: Counter[uuid.UUID] = field(default_factory=Counter)
    calls: int = 0
    failures: int = 0
    refuse: set[uuid.UUID] = field(default_factory=set)
    reject: set[uuid.UUID] = field(default_factory=set)
    hang: asyncio.Event | None = None
    hanging: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        rng = random.Random(self.seed)
        app = FastAPI()

        @app.post("/messages")
        async def messages(batch: Batch, response: Response) -> Answer:
            self.calls += 1
            if self.hang is not None:
                self.hanging.set()
                await self.hang.wait()
            if rng.random() < self.fail_rate:
                self.failures += 1
                response.status_code = 503
                return Answer()
            answer = Answer()
            for m in batch.messages:
                if m.message_id in self.reject:
                    answer.rejected.append(m.message_id)
                elif m.message_id in self.refuse:
                    answer.refused.append(m.message_id)
                else:
                    self.seen[m.message_id] += 1
            return answer

        return app


def http_handler(client: httpx.AsyncClient, url: str) -> OutboxHandler[Reading]:
    """Sends a batch in one POST; the answer names the messages refused or rejected."""

    async def send(messages: Sequence[OutboxMessage[Reading]]) -> Mapping[uuid.UUID, OutboxOutcome] | None:
        body = Batch(messages=[Envelope(message_id=m.message_id, payload=m.payload) for m in messages])
        resp = await client.post(f"{url}/messages", content=body.model_dump_json(), headers=JSON, timeout=30)
        resp.raise_for_status()  # the whole batch is retried
        answer = Answer.model_validate_json(resp.content)
        if not answer.refused and not answer.rejected:
            return None
        outcomes = {m.message_id: OutboxOutcome.delivered() for m in messages}
        outcomes.update({i: OutboxOutcome.retry("refused") for i in answer.refused})
        outcomes.update({i: OutboxOutcome.failed("rejected") for i in answer.rejected})
        return outcomes

    return OutboxHandler(Reading, send)


@dataclass
class Outbox:
    url: str
    table: Table
    engines: list[AsyncEngine]

    def engine(self, application_name: str = "outbox-test", pool_size: int = 2) -> AsyncEngine:
        engine = make_engine(self.url, application_name=application_name, pool_size=pool_size)
        self.engines.append(engine)
        return engine


@pytest.fixture
async def outbox(infra: Infra) -> AsyncIterator[Outbox]:
    """A fresh database with an outbox table in its own schema."""
    url = infra.create_database("outbox")
    table = outbox_table(MetaData(schema=SCHEMA))
    box = Outbox(url, table, [])
    engine = box.engine("outbox-setup")
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.run_sync(table.metadata.create_all)
    try:
        yield box
    finally:
        for e in box.engines:
            await e.dispose()


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with serve_http(receiver.app()) as url, httpx.AsyncClient() as client:
        yield client, url


async def until(condition: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    """Polls ``condition`` until it holds; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def add_readings(box: Outbox, n: int, start: int = 0) -> list[uuid.UUID]:
    async with make_sessionmaker(box.engines[0])() as session:
        ids = await enqueue_many(
            session, box.table, TOPIC, [Reading(plate=f"7ABC{i:03d}", seq=i) for i in range(start, start + n)]
        )
        await session.commit()
    return ids


async def count(box: Outbox, where: str) -> int:
    async with box.engines[0].connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(box.table).where(text(where)))).scalar_one()
        )


FAST = OutboxSettings(
    batch_size=100,
    lease_s=10,
    send_timeout_s=5,
    max_attempts=60,
    backoff_base_s=0.005,
    backoff_cap_s=0.05,
    poll_s=0.05,
    maintenance_s=0.2,
)


@asynccontextmanager
async def running(*dispatchers: OutboxDispatcher) -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks = [asyncio.create_task(d.run()) for d in dispatchers]
    try:
        yield tasks
    finally:
        await asyncio.gather(*(d.stop() for d in dispatchers))
        await asyncio.gather(*tasks)


def recorder(into: Counter[uuid.UUID]) -> OutboxHandler[Reading]:
    """An in-process receiver: counts every message it is handed."""

    async def send(messages: Sequence[OutboxMessage[Reading]]) -> None:
        into.update(m.message_id for m in messages)

    return OutboxHandler(Reading, send)


def sample(registry: CollectorRegistry, name: str) -> float:
    return registry.get_sample_value(name, {"outbox": f"{SCHEMA}.outbox", "topic": TOPIC}) or 0.0


class TestDelivery:
    async def test_four_dispatchers_deliver_10000_rows_exactly_once_through_a_failing_receiver(
        self, outbox: Outbox
    ) -> None:
        ids = await add_readings(outbox, 10_000)
        receiver = Receiver(fail_rate=0.3)
        registry = CollectorRegistry()
        async with receiving(receiver) as (client, url):
            handler = http_handler(client, url)
            dispatchers = [
                OutboxDispatcher(outbox.engine(f"outbox-{i}"), outbox.table, {TOPIC: handler}, FAST, registry)
                for i in range(4)
            ]
            async with running(*dispatchers):
                await until(lambda: pending_is(outbox, 0), 35, "10,000 deliveries")
        assert set(receiver.seen) == set(ids)  # none missing
        assert max(receiver.seen.values()) == 1  # none twice
        assert 0.2 * receiver.calls < receiver.failures < 0.4 * receiver.calls
        assert sample(registry, "alpr_outbox_delivered_total") == 10_000
        assert sample(registry, "alpr_outbox_retries_total") > 0
        assert "_created" not in generate_latest(registry).decode()

    async def test_a_rolled_back_message_is_never_delivered_and_a_committed_one_once(
        self, outbox: Outbox
    ) -> None:
        maker = make_sessionmaker(outbox.engines[0])
        async with maker() as session:
            lost = await enqueue(session, outbox.table, TOPIC, Reading(plate="LOST1", seq=1))
            await session.rollback()
        async with maker() as session:
            kept = await enqueue(session, outbox.table, TOPIC, Reading(plate="KEPT1", seq=2))
            await session.commit()
        async with maker() as session:  # the same message again (a retried request): nothing added
            await enqueue(session, outbox.table, TOPIC, Reading(plate="KEPT1", seq=2), message_id=kept)
            await session.commit()
        got: Counter[uuid.UUID] = Counter()
        async with running(OutboxDispatcher(outbox.engine(), outbox.table, {TOPIC: recorder(got)}, FAST)):
            await until(lambda: pending_is(outbox, 0), 10, "the committed message")
        assert got == Counter({kept: 1})
        assert lost not in got
        assert await count(outbox, "true") == 1


async def pending_is(box: Outbox, n: int) -> bool:
    return await count(box, "delivered_at IS NULL AND dead_at IS NULL") == n


class TestNoTransactionWhileSending:
    async def test_a_hanging_receiver_holds_no_transaction_open(self, outbox: Outbox) -> None:
        await add_readings(outbox, 10)
        receiver = Receiver(hang=asyncio.Event())
        assert receiver.hang is not None
        settings = FAST.model_copy(update={"send_timeout_s": 8, "maintenance_s": 3600, "retention_hours": 0})

        async def no_open_transaction() -> bool:
            async with outbox.engines[0].connect() as conn:
                rows = (
                    await conn.execute(
                        text(
                            "SELECT state, xact_start FROM pg_stat_activity"
                            " WHERE application_name = 'outbox-hang'"
                        )
                    )
                ).all()
            assert rows, "the dispatcher keeps its connection in the pool"
            return all(r.xact_start is None and not r.state.startswith("idle in transaction") for r in rows)

        async with receiving(receiver) as (client, url):
            dispatcher = OutboxDispatcher(
                outbox.engine("outbox-hang"), outbox.table, {TOPIC: http_handler(client, url)}, settings
            )
            async with running(dispatcher):
                try:
                    await asyncio.wait_for(receiver.hanging.wait(), 10)
                    # A transaction held across the send would stay open for as long as it hangs.
                    await until(no_open_transaction, 5, "no open transaction of the dispatcher")
                    assert not receiver.seen  # still sending
                    assert await count(outbox, "claim_id IS NOT NULL") == 10
                finally:
                    receiver.hang.set()  # a failed check must not leave the receiver (and its server) hanging
                await until(lambda: pending_is(outbox, 0), 10, "delivery after the receiver answers")
        assert len(receiver.seen) == 10


class TestDeadLetters:
    async def test_a_message_failing_max_attempts_is_dead_lettered_listed_and_replayed(
        self, outbox: Outbox
    ) -> None:
        ids = await add_readings(outbox, 5)
        refused, rejected = ids[0], ids[1]

        class Other(BaseModel):
            colour: str

        async with make_sessionmaker(outbox.engines[0])() as session:
            malformed = await enqueue(session, outbox.table, TOPIC, Other(colour="red"))
            await session.commit()
        receiver = Receiver(refuse={refused}, reject={rejected})
        registry = CollectorRegistry()
        settings = FAST.model_copy(update={"max_attempts": 3, "maintenance_s": 0.05})
        engine = outbox.engines[0]

        async def dead_count() -> int:
            return len(await list_dead_letters(engine, outbox.table))

        async with receiving(receiver) as (client, url):
            dispatcher = OutboxDispatcher(
                outbox.engine(), outbox.table, {TOPIC: http_handler(client, url)}, settings, registry
            )
            async with running(dispatcher):
                await until(lambda: _equals(dead_count(), 3), 10, "three dead letters")
                dead = {d.message_id: d for d in await list_dead_letters(engine, outbox.table, topic=TOPIC)}
                assert (dead[refused].attempts, dead[refused].last_error) == (3, "refused")  # N tries
                assert (dead[rejected].attempts, dead[rejected].last_error) == (1, "rejected")  # at once
                assert dead[malformed].attempts == 1
                assert dead[malformed].last_error == (
                    "payload is not a Reading: 2 error(s), the first: plate: Field required"
                )
                assert dead[refused].payload == {"plate": "7ABC000", "seq": 0}
                assert sample(registry, "alpr_outbox_dead_letters_total") == 3
                assert sample(registry, "alpr_outbox_retries_total") == 2
                await until(lambda: _gauge_is(registry, "alpr_outbox_dead", 3), 5, "the dead-letter gauge")

                receiver.refuse.clear()
                assert await replay_dead_letters(engine, outbox.table, [refused]) == 1
                await until(lambda: _true(receiver.seen[refused] == 1), 10, "the replayed message")
                assert await dead_count() == 2
                await until(lambda: _gauge_is(registry, "alpr_outbox_dead", 2), 5, "the gauge after replay")

                receiver.reject.clear()
                assert await replay_dead_letters(engine, outbox.table, "all", topic=TOPIC) == 2
                await until(lambda: _true(receiver.seen[rejected] == 1), 10, "the second replay")
                # The malformed one cannot be sent and is dead again.
                await until(lambda: _equals(dead_count(), 1), 10, "the malformed one dead again")
        assert set(receiver.seen) == set(ids)
        assert max(receiver.seen.values()) == 1
        assert sample(registry, "alpr_outbox_dead_letters_total") == 4


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value


async def _gauge_is(registry: CollectorRegistry, name: str, expected: float) -> bool:
    return sample(registry, name) == expected


class TestStopping:
    async def test_a_stopped_dispatcher_finishes_its_batch_and_loses_nothing(self, outbox: Outbox) -> None:
        ids = await add_readings(outbox, 200)
        first: Counter[uuid.UUID] = Counter()
        entered, release = asyncio.Event(), asyncio.Event()

        async def slow(messages: Sequence[OutboxMessage[Reading]]) -> None:
            entered.set()
            await release.wait()
            first.update(m.message_id for m in messages)

        settings = FAST.model_copy(update={"batch_size": 50})
        a = OutboxDispatcher(outbox.engine(), outbox.table, {TOPIC: OutboxHandler(Reading, slow)}, settings)
        run_a = asyncio.create_task(a.run())
        await asyncio.wait_for(entered.wait(), 10)
        stopping = asyncio.create_task(a.stop())
        done, _ = await asyncio.wait({stopping}, timeout=0.2)
        assert not done, "stop() waits for the send in flight"
        release.set()
        await asyncio.wait_for(stopping, 10)
        assert run_a.done()
        await run_a
        assert len(first) == 50
        assert await count(outbox, "delivered_at IS NOT NULL") == 50
        assert await count(outbox, "delivered_at IS NULL AND claim_id IS NOT NULL") == 0  # no lease left

        second: Counter[uuid.UUID] = Counter()
        async with running(
            OutboxDispatcher(outbox.engine(), outbox.table, {TOPIC: recorder(second)}, settings)
        ):
            await until(lambda: pending_is(outbox, 0), 10, "the rest")
        assert first + second == Counter(dict.fromkeys(ids, 1))

    async def test_a_killed_dispatcher_loses_nothing_its_rows_return_when_the_lease_ends(
        self, outbox: Outbox
    ) -> None:
        ids = await add_readings(outbox, 200)
        entered = asyncio.Event()

        async def hang(messages: Sequence[OutboxMessage[Reading]]) -> None:
            entered.set()
            await asyncio.Event().wait()

        settings = FAST.model_copy(update={"batch_size": 50, "lease_s": 1.0, "send_timeout_s": 0.9})
        a = OutboxDispatcher(outbox.engine(), outbox.table, {TOPIC: OutboxHandler(Reading, hang)}, settings)
        run_a = asyncio.create_task(a.run())
        await asyncio.wait_for(entered.wait(), 10)
        run_a.cancel()  # a crash: no stop(), nothing recorded
        with pytest.raises(asyncio.CancelledError):
            await run_a
        leased = await count(outbox, "claim_id IS NOT NULL AND delivered_at IS NULL")
        assert leased == 50

        got: Counter[uuid.UUID] = Counter()
        async with running(OutboxDispatcher(outbox.engine(), outbox.table, {TOPIC: recorder(got)}, settings)):
            await until(lambda: pending_is(outbox, 0), 15, "every row, the leased ones after the lease")
        assert got == Counter(dict.fromkeys(ids, 1))
        assert await count(outbox, "attempts = 2") == 50  # the killed try counts as an attempt


class TestPrune:
    async def test_prune_removes_delivered_rows_past_retention_only(self, outbox: Outbox) -> None:
        ids = await add_readings(outbox, 25)
        t = outbox.table
        async with outbox.engines[0].begin() as conn:
            old = func.now() - timedelta(hours=2)
            await conn.execute(update(t).where(t.c.message_id.in_(ids[:10])).values(delivered_at=old))
            await conn.execute(
                update(t).where(t.c.message_id.in_(ids[10:15])).values(delivered_at=func.now())
            )
            await conn.execute(update(t).where(t.c.message_id.in_(ids[15:20])).values(dead_at=old))
            await conn.execute(update(t).values(created_at=old))  # old, but pending or dead: kept
        assert await prune_outbox(outbox.engines[0], t, timedelta(hours=1)) == 10
        remaining = {r[0] for r in (await _fetch(outbox, select(t.c.message_id)))}
        assert remaining == set(ids[10:])

        # The dispatcher prunes by itself after retention_hours.
        async with outbox.engines[0].begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.message_id.in_(ids[10:15]))
                .values(delivered_at=func.now() - timedelta(hours=3))
            )
        got: Counter[uuid.UUID] = Counter()
        settings = FAST.model_copy(update={"retention_hours": 1, "maintenance_s": 0.05})
        async with running(OutboxDispatcher(outbox.engine(), t, {TOPIC: recorder(got)}, settings)):
            await until(lambda: _equals(count(outbox, "true"), 10), 10, "the dispatcher's prune")
        assert set(got) == set(ids[20:])  # the pending ones were delivered, and are kept (recent)
        assert await count(outbox, "dead_at IS NOT NULL") == 5


async def _fetch(box: Outbox, query: Any) -> list[Any]:
    async with box.engines[0].connect() as conn:
        return list((await conn.execute(query)).all())


class TestSchema:
    async def test_the_migration_helper_makes_the_declared_table(self, outbox: Outbox) -> None:
        declared = outbox_table(MetaData(schema="mig"))

        def migrate(sync_conn: Connection) -> list[Any]:
            op = Operations(MigrationContext.configure(sync_conn))
            create_outbox_table(op, "mig")
            ctx = MigrationContext.configure(
                sync_conn,
                opts={
                    "include_schemas": True,
                    "include_name": lambda name, kind, _: kind != "schema" or name == "mig",
                },
            )
            return list(compare_metadata(ctx, declared.metadata))

        async with outbox.engines[0].connect() as conn:
            await conn.execute(text("CREATE SCHEMA mig"))
            diffs = await conn.run_sync(migrate)
            indexes = (
                (
                    await conn.execute(
                        text("SELECT indexdef FROM pg_indexes WHERE schemaname = 'mig' ORDER BY 1")
                    )
                )
                .scalars()
                .all()
            )
            await conn.run_sync(lambda c: drop_outbox_table(Operations(MigrationContext.configure(c)), "mig"))
            await conn.commit()
        assert diffs == []
        assert any("WHERE ((delivered_at IS NULL) AND (dead_at IS NULL))" in i for i in indexes), indexes
        assert await count(outbox, "true") == 0  # the service's own table is untouched

    def test_send_timeout_must_be_shorter_than_the_lease(self) -> None:
        with pytest.raises(ValueError, match="shorter than lease_s"):
            OutboxSettings(lease_s=10, send_timeout_s=10)
