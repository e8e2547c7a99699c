"""One outbox engine (issue 16, item 2): messages written in the caller's own transaction and
delivered by a dispatcher that never holds a transaction open while it sends.

Why not a queue library: pgqueuer (the best-kept PostgreSQL queue on PyPI, 1.6) and
procrastinate are job queues. They keep their own tables, functions and triggers in one place
per database (installed by their own CLI, not one table per service schema in our Alembic
migrations), call a handler per job rather than one batch per topic (ingest sends batches of
reads), and on an exception pgqueuer moves the job to its log table without a persisted retry
count: retries live in the worker process and are lost with it, and there is no dead letter with
replay. Wrapping them to add those costs more than the ~400 lines here, which are only SQL that
PostgreSQL already does well (``FOR UPDATE SKIP LOCKED``).

The life of a row:

1. ``enqueue`` inserts it with a ``message_id`` (made once, kept on every retry, unique: a
   receiver deduplicates by it) in the caller's session; it commits or rolls back with the
   caller's state change.
2. A dispatcher claims up to ``batch_size`` rows of one topic with ``FOR UPDATE SKIP LOCKED``,
   sets their lease (``available_at`` = now + ``lease_s``, a fresh ``claim_id``, one more
   attempt) in one statement committed at once: the claim is a lease, not a lock held across the
   send.
3. It sends the batch with no transaction open, giving up after ``send_timeout_s`` (shorter
   than the lease, so no other replica can claim a row while it is still being sent).
4. In new short statements (each its own transaction) it marks each row delivered, due again
   after an exponential backoff with jitter, or dead (after ``max_attempts``, or at once when the
   handler says the message can never be delivered). Only rows still carrying its ``claim_id`` are touched.

A dispatcher that crashes leaves its rows leased; they become claimable again when the lease
ends and are sent again (at least once; receivers deduplicate by ``message_id``). ``stop()``
lets in-flight sends finish and records them before ``run()`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
import uuid
import weakref
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar, cast

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field, JsonValue, ValidationError, model_validator
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    Interval,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    any_,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.schema import SchemaItem

from ._background import cancel_and_wait
from ._validation_messages import first_error

if TYPE_CHECKING:
    from alembic.operations import Operations

_log = structlog.get_logger("alpr.outbox")

P = TypeVar("P", bound=BaseModel)

_PENDING = "delivered_at IS NULL AND dead_at IS NULL"
_ERROR_CHARS = 1000
_PRUNE_CHUNK = 10_000


# --- the table ----------------------------------------------------------------------------


def _schema_items(name: str) -> list[SchemaItem]:
    """Fresh columns and constraints of an outbox named ``name`` (each table needs its own)."""
    return [
        Column("id", BigInteger, Identity(), nullable=False),
        Column("message_id", Uuid, nullable=False),
        Column("topic", String(100), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # When the row may be claimed: now for a new row, the end of the lease while claimed,
        # the next attempt's time after a failure.
        Column("available_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("claim_id", Uuid, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("delivered_at", DateTime(timezone=True), nullable=True),
        Column("dead_at", DateTime(timezone=True), nullable=True),
        PrimaryKeyConstraint("id", name=f"pk_{name}"),
        UniqueConstraint("message_id", name=f"uq_{name}_message_id"),
    ]


def _index_specs(name: str) -> list[tuple[str, list[str], str]]:
    """(name, columns, partial WHERE) of the indexes: claims and lag read pending rows of one
    topic in id order; prune reads delivered rows by age; the dead-letter list reads dead rows."""
    return [
        (f"ix_{name}_pending", ["topic", "id"], _PENDING),
        (f"ix_{name}_delivered_at", ["delivered_at"], "delivered_at IS NOT NULL"),
        (f"ix_{name}_dead_at", ["dead_at"], "dead_at IS NOT NULL"),
    ]


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """Declares an outbox table in ``metadata`` (its schema is the service's schema)."""
    table = Table(name, metadata, *_schema_items(name))
    for index_name, columns, where in _index_specs(name):
        Index(index_name, *(table.c[c] for c in columns), postgresql_where=text(where))
    return table


def create_outbox_table(op: Operations, schema: str, name: str = "outbox") -> None:
    """The DDL of ``outbox_table`` for an Alembic migration (works offline too)."""
    op.create_table(name, *_schema_items(name), schema=schema)
    for index_name, columns, where in _index_specs(name):
        op.create_index(index_name, name, columns, schema=schema, postgresql_where=text(where))


def drop_outbox_table(op: Operations, schema: str, name: str = "outbox") -> None:
    """The downgrade of ``create_outbox_table``."""
    op.drop_table(name, schema=schema)


def outbox_revision(schema: str, name: str = "outbox") -> tuple[Callable[[], None], Callable[[], None]]:
    """The ``upgrade`` and ``downgrade`` of a revision that only adds the outbox table ``name``
    to ``schema``: ``upgrade, downgrade = outbox_revision("search", "outbox_messages")``.
    Revisions that ran keep running it as it is: change what a new revision needs in a new
    function, never this one."""

    def upgrade() -> None:
        from alembic import op

        create_outbox_table(cast("Operations", op), schema, name)

    def downgrade() -> None:
        from alembic import op

        drop_outbox_table(cast("Operations", op), schema, name)

    return upgrade, downgrade


# --- writing ------------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession | AsyncConnection,
    table: Table,
    topic: str,
    payload: BaseModel,
    message_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Adds one message to ``table`` in the caller's transaction; answers its ``message_id``.

    The caller commits (or rolls back) it with its own change. Enqueueing a ``message_id``
    that is already there adds nothing, so a retried request cannot send a message twice."""
    return (await enqueue_many(session, table, topic, [payload], [message_id]))[0]


async def enqueue_many(
    session: AsyncSession | AsyncConnection,
    table: Table,
    topic: str,
    payloads: Sequence[BaseModel],
    message_ids: Sequence[uuid.UUID | None] | None = None,
) -> list[uuid.UUID]:
    """``enqueue`` for many messages of one topic in one statement."""
    if not 0 < len(topic) <= 100:
        raise ValueError("an outbox topic has 1 to 100 characters")
    if message_ids is not None and len(message_ids) != len(payloads):
        raise ValueError("one message id (or None) per payload")
    ids = [
        (message_ids[i] if message_ids is not None else None) or uuid.uuid4() for i in range(len(payloads))
    ]
    if not payloads:
        return ids
    rows = [
        {"message_id": mid, "topic": topic, "payload": p.model_dump(mode="json")}
        for mid, p in zip(ids, payloads, strict=True)
    ]
    await session.execute(pg_insert(table).on_conflict_do_nothing(index_elements=["message_id"]), rows)
    return ids


# --- handlers -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxMessage(Generic[P]):
    """One claimed message, its payload validated into the handler's model."""

    message_id: uuid.UUID
    topic: str
    payload: P
    attempt: int  # 1 on the first try
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxOutcome:
    """What became of one message: delivered, to be retried later, or never deliverable."""

    kind: Literal["delivered", "retry", "failed"]
    error: str | None = None

    @classmethod
    def delivered(cls) -> OutboxOutcome:
        return _DELIVERED

    @classmethod
    def retry(cls, error: str) -> OutboxOutcome:
        return cls("retry", error)

    @classmethod
    def failed(cls, error: str) -> OutboxOutcome:
        """Dead-lettered at once (the receiver refused the message itself, not the moment)."""
        return cls("failed", error)


_DELIVERED = OutboxOutcome("delivered")

SendBatch: TypeAlias = Callable[
    [Sequence[OutboxMessage[P]]], Awaitable[Mapping[uuid.UUID, OutboxOutcome] | None]
]


@dataclass(frozen=True, slots=True)
class OutboxHandler(Generic[P]):
    """How one topic is delivered: its payload model and a function that sends one batch.

    ``send`` answers an outcome per ``message_id`` (a missing one is retried), or None when the
    whole batch was delivered; an exception, or no answer within ``send_timeout_s``, retries the
    whole batch. A payload that no longer validates against ``model`` is dead-lettered."""

    model: type[P]
    send: SendBatch[P]


# --- settings and metrics -----------------------------------------------------------------


class OutboxSettings(BaseModel):
    """A dispatcher's settings; a service embeds them in its own settings."""

    batch_size: int = Field(100, ge=1, le=10_000)
    concurrency: int = Field(1, ge=1, le=64, description="batches in flight at once per dispatcher")
    lease_s: float = Field(60.0, gt=0)
    send_timeout_s: float = Field(30.0, gt=0, description="must be shorter than the lease")
    max_attempts: int = Field(20, ge=1)
    backoff_base_s: float = Field(1.0, gt=0)
    backoff_cap_s: float = Field(300.0, gt=0)
    poll_s: float = Field(1.0, gt=0, description="wait between claims when nothing was due")
    maintenance_s: float = Field(15.0, gt=0, description="how often gauges are refreshed and rows pruned")
    retention_hours: float = Field(168.0, ge=0, description="delivered rows kept this long; 0: kept")

    @model_validator(mode="after")
    def _timeout_within_lease(self) -> OutboxSettings:
        if self.send_timeout_s >= self.lease_s:
            raise ValueError("send_timeout_s must be shorter than lease_s (a replica could claim it)")
        return self


def retry_backoff(attempts: int, settings: OutboxSettings) -> float:
    """Seconds until the next try after ``attempts`` failed ones: exponential up to the cap,
    with "equal jitter" (half fixed, half random) so failed batches do not return together."""
    delay = min(settings.backoff_cap_s, settings.backoff_base_s * 2.0 ** min(attempts - 1, 62))
    return delay / 2 + random.uniform(0, delay / 2)


class _OutboxCollector(Collector):
    """The outbox series of one registry, shared by its dispatchers. A custom collector so the
    counters carry no ``_created`` series without a process-wide switch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delivered: dict[tuple[str, str], float] = {}
        self.retries: dict[tuple[str, str], float] = {}
        self.dead_total: dict[tuple[str, str], float] = {}
        self.dead_now: dict[tuple[str, str], float] = {}
        self.lag: dict[tuple[str, str], float] = {}

    def add(self, series: dict[tuple[str, str], float], key: tuple[str, str], n: int) -> None:
        with self._lock:
            series[key] = series.get(key, 0.0) + n

    def set(self, series: dict[tuple[str, str], float], key: tuple[str, str], value: float) -> None:
        with self._lock:
            series[key] = value

    def collect(self) -> Iterator[Metric]:
        labels = ["outbox", "topic"]
        with self._lock:
            families: list[
                tuple[type[CounterMetricFamily | GaugeMetricFamily], str, str, dict[Any, float]]
            ] = [
                (CounterMetricFamily, "alpr_outbox_delivered", "Outbox messages delivered.", self.delivered),
                (CounterMetricFamily, "alpr_outbox_retries", "Outbox sends to be retried.", self.retries),
                (
                    CounterMetricFamily,
                    "alpr_outbox_dead_letters",
                    "Outbox messages dead-lettered.",
                    self.dead_total,
                ),
                (GaugeMetricFamily, "alpr_outbox_dead", "Dead letters now in the outbox.", self.dead_now),
                (
                    GaugeMetricFamily,
                    "alpr_outbox_lag_seconds",
                    "Age of the oldest undelivered outbox message.",
                    self.lag,
                ),
            ]
            for kind, name, doc, series in families:
                family = kind(name, doc, labels=labels)
                for key, value in series.items():
                    family.add_metric(list(key), value)
                yield family


_collectors: weakref.WeakKeyDictionary[CollectorRegistry, _OutboxCollector] = weakref.WeakKeyDictionary()
_collectors_lock = threading.Lock()


def _collector_of(registry: CollectorRegistry) -> _OutboxCollector:
    with _collectors_lock:
        collector = _collectors.get(registry)
        if collector is None:
            collector = _collectors[registry] = _OutboxCollector()
            registry.register(collector)
        return collector


# --- the dispatcher -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    message_id: uuid.UUID
    payload: Any
    attempts: int
    created_at: datetime


class OutboxDispatcher:
    """Delivers one outbox table's topics until ``stop()``; any number of replicas may run.

    ``registry``: where its metrics go (the app's); without one, a registry of its own
    (``dispatcher.registry``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        handlers: Mapping[str, OutboxHandler[Any]],
        settings: OutboxSettings | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        if not handlers:
            raise ValueError("a dispatcher needs at least one topic")
        self._engine = engine
        # Claims and outcomes are single statements, each atomic (and committed) by itself:
        # autocommit spares a BEGIN and a COMMIT round trip per statement.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._table = table
        self._handlers = dict(handlers)
        self._settings = settings or OutboxSettings()
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self._metrics = _collector_of(self.registry)
        self._name = table.fullname
        self._stopping = asyncio.Event()
        self._finished: asyncio.Event | None = None
        # Claims failing in a row (the database down or restarting): logged once when they
        # start, then once a minute, and once when they stop (issue 20: no log flood).
        self._claim_failures = 0
        self._claim_logged_at = 0.0
        for topic in self._handlers:
            self._metrics.set(self._metrics.lag, (self._name, topic), 0.0)

    async def run(self) -> None:
        """Delivers until ``stop()`` (or until cancelled: then the leases of rows in flight
        expire and another dispatcher sends them)."""
        if self._finished is not None and not self._finished.is_set():
            raise RuntimeError("this dispatcher is already running")
        self._finished = finished = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as group:
                for i in range(self._settings.concurrency):
                    group.create_task(self._work(i))
                group.create_task(self._maintain())
        finally:
            finished.set()

    async def stop(self) -> None:
        """Claims nothing more, lets sends in flight finish and record their outcome, and
        returns when ``run()`` has."""
        self._stopping.set()
        if self._finished is not None:
            await self._finished.wait()

    @contextlib.asynccontextmanager
    async def running(self, *alongside: Coroutine[Any, Any, Any]) -> AsyncIterator[None]:
        """Runs this dispatcher, and the service's other background work ``alongside``, for as
        long as the block does (an app's lifespan): at its end the dispatcher stops (sends in
        flight finish and record their outcome), then the rest is cancelled."""
        tasks = [asyncio.create_task(self.run()), *(asyncio.create_task(work) for work in alongside)]
        try:
            yield
        finally:
            await self.stop()
            await cancel_and_wait(tasks)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _work(self, worker: int) -> None:
        topics = list(self._handlers)
        # Workers start on different topics so one busy topic does not starve the others.
        topics = topics[worker % len(topics) :] + topics[: worker % len(topics)]
        while not self._stopping.is_set():
            claimed, failed = 0, False
            for topic in topics:
                if self._stopping.is_set():
                    return
                try:
                    claimed += await self.deliver_batch(topic)
                except Exception as exc:  # noqa: BLE001 - the database may be restarting
                    failed = True
                    self._claim_failed(topic, exc)
            if not failed:
                self._claim_succeeded()
            if failed:
                # Backing off while the database is away, up to 5 s between tries.
                await self._pause(min(self._settings.poll_s * 2 ** min(self._claim_failures, 10), 5.0))
            elif not claimed:
                await self._pause(self._settings.poll_s)

    def _claim_failed(self, topic: str, exc: Exception) -> None:
        self._claim_failures += 1
        now = time.monotonic()
        if self._claim_failures == 1 or now - self._claim_logged_at >= 60:
            self._claim_logged_at = now
            _log.warning(
                "outbox_claim_failed",
                outbox=self._name,
                topic=topic,
                error=repr(exc),
                failures_in_a_row=self._claim_failures,
            )

    def _claim_succeeded(self) -> None:
        if self._claim_failures:
            _log.info("outbox_claim_recovered", outbox=self._name, failures_in_a_row=self._claim_failures)
            self._claim_failures = 0

    async def deliver_batch(self, topic: str) -> int:
        """Claims, sends and records one batch of ``topic``; answers how many rows it claimed."""
        settings, table = self._settings, self._table
        claim_id = uuid.uuid4()
        due = (
            select(table.c.id)
            .where(
                table.c.topic == topic,
                table.c.delivered_at.is_(None),
                table.c.dead_at.is_(None),
                table.c.available_at <= func.now(),
            )
            .order_by(table.c.id)
            .limit(settings.batch_size)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(table)
            .where(table.c.id.in_(due.scalar_subquery()))
            .values(
                available_at=func.now() + literal(timedelta(seconds=settings.lease_s), Interval()),
                attempts=table.c.attempts + 1,
                claim_id=claim_id,
            )
            .returning(table.c.id, table.c.message_id, table.c.payload, table.c.attempts, table.c.created_at)
        )
        async with self._autocommit.connect() as conn:
            rows = [_Claimed(*r) for r in (await conn.execute(claim)).all()]
        if not rows:
            return 0
        rows.sort(key=lambda r: r.id)
        # From here until the outcome is recorded, no transaction is open.
        outcomes = await self._send(topic, rows)
        await self._record(topic, claim_id, rows, outcomes)
        return len(rows)

    async def _send(self, topic: str, rows: list[_Claimed]) -> dict[uuid.UUID, OutboxOutcome]:
        handler = self._handlers[topic]
        outcomes: dict[uuid.UUID, OutboxOutcome] = {}
        messages: list[OutboxMessage[Any]] = []
        for row in rows:
            try:
                payload = handler.model.model_validate(row.payload)
            except ValidationError as exc:
                outcomes[row.message_id] = OutboxOutcome.failed(
                    f"payload is not a {handler.model.__name__}: {exc.error_count()} error(s), "
                    f"the first: {first_error(exc)}"
                )
                continue
            messages.append(OutboxMessage(row.message_id, topic, payload, row.attempts, row.created_at))
        if not messages:
            return outcomes
        try:
            async with asyncio.timeout(self._settings.send_timeout_s):
                answered = await handler.send(messages)
        except TimeoutError:
            error = f"no answer within {self._settings.send_timeout_s:g} s"
            return outcomes | {m.message_id: OutboxOutcome.retry(error) for m in messages}
        except Exception as exc:  # noqa: BLE001 - any failure of a send is retried
            error = f"{type(exc).__name__}: {exc}"
            return outcomes | {m.message_id: OutboxOutcome.retry(error) for m in messages}
        for m in messages:
            if answered is None:
                outcomes[m.message_id] = _DELIVERED
            else:
                outcomes[m.message_id] = answered.get(m.message_id) or OutboxOutcome.retry(
                    "the handler reported no outcome"
                )
        return outcomes

    async def _record(
        self,
        topic: str,
        claim_id: uuid.UUID,
        rows: list[_Claimed],
        outcomes: Mapping[uuid.UUID, OutboxOutcome],
    ) -> None:
        table, settings = self._table, self._settings
        delivered: list[int] = []
        retry: list[dict[str, Any]] = []
        dead: list[dict[str, Any]] = []
        for row in rows:
            outcome = outcomes[row.message_id]
            if outcome.kind == "delivered":
                delivered.append(row.id)
                continue
            error = (outcome.error or "")[:_ERROR_CHARS]
            if outcome.kind == "failed" or row.attempts >= settings.max_attempts:
                dead.append({"row_id": row.id, "claim": claim_id, "error": error})
            else:
                delay = timedelta(seconds=retry_backoff(row.attempts, settings))
                retry.append({"row_id": row.id, "claim": claim_id, "error": error, "delay": delay})
        mine = and_(table.c.id == bindparam("row_id"), table.c.claim_id == bindparam("claim"))
        for attempt in range(3):
            try:
                async with self._autocommit.connect() as conn:
                    if delivered:
                        await conn.execute(
                            update(table)
                            .where(
                                table.c.id == any_(literal(delivered, ARRAY(BigInteger))),
                                table.c.claim_id == claim_id,
                            )
                            .values(delivered_at=func.now())
                        )
                    if retry:
                        await conn.execute(
                            update(table)
                            .where(mine)
                            .values(
                                available_at=func.now() + bindparam("delay", type_=Interval()),
                                last_error=bindparam("error"),
                            ),
                            retry,
                        )
                    if dead:
                        await conn.execute(
                            update(table)
                            .where(mine)
                            .values(dead_at=func.now(), last_error=bindparam("error")),
                            dead,
                        )
                break
            except Exception as exc:  # noqa: BLE001 - the lease ends and the rows are sent again
                _log.warning("outbox_record_failed", outbox=self._name, topic=topic, error=repr(exc))
                if attempt == 2:
                    return
                await asyncio.sleep(0.2 * (attempt + 1))
        key = (self._name, topic)
        self._metrics.add(self._metrics.delivered, key, len(delivered))
        self._metrics.add(self._metrics.retries, key, len(retry))
        self._metrics.add(self._metrics.dead_total, key, len(dead))
        if retry or dead:
            _log.warning(
                "outbox_delivery_failed",
                outbox=self._name,
                topic=topic,
                retry=len(retry),
                dead=len(dead),
                error=(retry or dead)[0]["error"],
            )

    async def _maintain(self) -> None:
        retention = self._settings.retention_hours
        while not self._stopping.is_set():
            try:
                await self.refresh_gauges()
                if retention > 0:
                    await prune_outbox(self._engine, self._table, timedelta(hours=retention))
            except Exception as exc:  # noqa: BLE001 - tried again at the next tick
                _log.warning("outbox_maintenance_failed", outbox=self._name, error=repr(exc))
            await self._pause(self._settings.maintenance_s)

    async def refresh_gauges(self) -> None:
        """Sets the lag and dead-letter gauges of every topic from the table."""
        backlog = await outbox_backlog(self._engine, self._table, list(self._handlers))
        for topic, state in backlog.items():
            self._metrics.set(self._metrics.lag, (self._name, topic), state.lag_s)
            self._metrics.set(self._metrics.dead_now, (self._name, topic), float(state.dead))


# --- operating it (gauges, the CLI) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """One topic's state: the age of its oldest undelivered message and its dead letters."""

    lag_s: float
    dead: int


async def outbox_backlog(
    engine: AsyncEngine, table: Table, topics: Collection[str]
) -> dict[str, OutboxBacklog]:
    """Per topic in ``topics``: lag (0 when nothing waits) and dead letters."""
    oldest = (
        select(table.c.created_at)
        .where(table.c.topic == bindparam("t"), text(_PENDING))
        .order_by(table.c.id)
        .limit(1)
        .scalar_subquery()
    )
    lag_q = select(func.coalesce(func.extract("epoch", func.now() - oldest), 0))
    dead_q = (
        select(table.c.topic, func.count())
        .where(table.c.dead_at.is_not(None), table.c.topic.in_(list(topics)))
        .group_by(table.c.topic)
    )
    async with engine.connect() as conn:
        lags = {t: float((await conn.execute(lag_q, {"t": t})).scalar_one()) for t in topics}
        dead = {r[0]: int(r[1]) for r in (await conn.execute(dead_q)).all()}
    return {t: OutboxBacklog(lag_s=max(0.0, lags[t]), dead=dead.get(t, 0)) for t in topics}


@dataclass(frozen=True, slots=True)
class OutboxDeadLetter:
    """A message that will not be sent again until it is replayed."""

    message_id: uuid.UUID
    topic: str
    payload: JsonValue
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime


async def list_dead_letters(
    engine: AsyncEngine, table: Table, *, topic: str | None = None, limit: int = 100
) -> list[OutboxDeadLetter]:
    """Dead letters, oldest death first."""
    query = (
        select(
            table.c.message_id,
            table.c.topic,
            table.c.payload,
            table.c.attempts,
            table.c.last_error,
            table.c.created_at,
            table.c.dead_at,
        )
        .where(table.c.dead_at.is_not(None))
        .order_by(table.c.dead_at, table.c.id)
        .limit(limit)
    )
    if topic is not None:
        query = query.where(table.c.topic == topic)
    async with engine.connect() as conn:
        return [OutboxDeadLetter(*r) for r in (await conn.execute(query)).all()]


async def replay_dead_letters(
    engine: AsyncEngine,
    table: Table,
    message_ids: Collection[uuid.UUID] | Literal["all"],
    *,
    topic: str | None = None,
) -> int:
    """Makes dead letters due again with a fresh attempt count (the same ``message_id``);
    answers how many. ``"all"``: every dead letter (of ``topic`` when given)."""
    query = (
        update(table)
        .where(table.c.dead_at.is_not(None))
        .values(dead_at=None, attempts=0, claim_id=None, available_at=func.now())
    )
    if message_ids != "all":
        query = query.where(table.c.message_id.in_(list(message_ids)))
    if topic is not None:
        query = query.where(table.c.topic == topic)
    async with engine.begin() as conn:
        return (await conn.execute(query)).rowcount


async def prune_outbox(engine: AsyncEngine, table: Table, older_than: timedelta) -> int:
    """Deletes rows delivered more than ``older_than`` ago (in chunks, each its own short
    transaction); undelivered and dead rows stay. Answers how many went."""
    chunk = (
        select(table.c.id)
        .where(table.c.delivered_at < func.now() - literal(older_than, Interval()))
        .limit(_PRUNE_CHUNK)
        .with_for_update(skip_locked=True)
    )
    removed = 0
    while True:
        async with engine.begin() as conn:
            n = (await conn.execute(delete(table).where(table.c.id.in_(chunk.scalar_subquery())))).rowcount
        removed += n
        if n < _PRUNE_CHUNK:
            return removed
