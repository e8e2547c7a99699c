"""Group commit for the ledger: concurrent appends are merged into one transaction (one lock,
one head read, one multi-row insert, one commit), and each caller learns where its events
landed, or gets the error that kept them out (fail closed)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import AuditEventIn, AuditReceipt, Principal

from . import repository
from .canonical import canonical_event, chain_hash, utc_text

if TYPE_CHECKING:
    from ..telemetry import AuditMetrics

_log = structlog.get_logger("alpr.audit.writer")


@dataclass
class _Pending:
    events: list[AuditEventIn]
    submitted_by: Principal
    done: asyncio.Future[list[AuditReceipt]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


COPY_CHUNK = 125


async def append_now(
    engine: AsyncEngine,
    batches: list[tuple[list[AuditEventIn], Principal]],
    recorded_at: datetime | None = None,
) -> list[list[AuditReceipt]]:
    """Appends the batches in one transaction under the ledger lock; receipts per batch.

    Rows go to PostgreSQL by COPY in chunks; while the database ingests one chunk the next is
    canonicalized and hashed, so Python and PostgreSQL work at the same time.
    ``recorded_at`` is the server's clock unless given (imports of historic ledgers, tests).

    One row per ``event_id`` (issue 16): the append first assumes every id is new (a repeat
    is rare: a retry after a lost answer) and the unique index refuses a repeat; then the
    whole group is appended again with the stored events looked up first, and a repeat answers
    its first receipt. An id twice in one group is caught in memory."""
    try:
        return await _append(engine, batches, recorded_at, look_up=False)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != repository.EVENT_ID_INDEX:
            raise
        return await _append(engine, batches, recorded_at, look_up=True)


async def _append(
    engine: AsyncEngine,
    batches: list[tuple[list[AuditEventIn], Principal]],
    recorded_at: datetime | None,
    *,
    look_up: bool,
) -> list[list[AuditReceipt]]:
    async with engine.begin() as conn:
        head = await repository.lock_and_read_head(conn)
        # Under the lock, so no other append can add one of these ids meanwhile.
        known = (
            await repository.existing_receipts(
                conn, list({event.event_id for events, _ in batches for event in events})
            )
            if look_up
            else {}
        )
        recorded = utc_text(recorded_at or datetime.now(UTC))
        sequence, prev = head.sequence, head.hash
        rows: list[repository.LedgerRow] = []
        receipts: list[list[AuditReceipt]] = []
        in_flight: asyncio.Future[None] | None = None
        try:
            for events, submitted_by in batches:
                mine = []
                for event in events:
                    first = known.get(event.event_id)
                    if first is not None:  # sent before (a retry): the first row's receipt
                        mine.append(AuditReceipt(sequence=first.sequence, hash=first.hash, duplicate=True))
                        continue
                    sequence += 1
                    canonical = canonical_event(
                        event, sequence=sequence, recorded_at=recorded, submitted_by=submitted_by
                    )
                    digest = chain_hash(prev, canonical)
                    rows.append((sequence, canonical, prev, digest, event.event_id))
                    mine.append(AuditReceipt(sequence=sequence, hash=digest))
                    known[event.event_id] = repository.Head(sequence, digest)
                    prev = digest
                    if len(rows) == COPY_CHUNK:
                        if in_flight is not None:
                            await in_flight
                        in_flight = asyncio.ensure_future(repository.insert_rows(conn, rows))
                        rows = []
                        await asyncio.sleep(0)  # let the COPY go out before the next chunk is built
                receipts.append(mine)
            if in_flight is not None:
                await in_flight
                in_flight = None
            if rows:
                await repository.insert_rows(conn, rows)
        finally:
            if in_flight is not None:
                await asyncio.gather(in_flight, return_exceptions=True)
    return receipts


class LedgerWriter:
    """One task per process that drains the queue of pending appends into transactions."""

    def __init__(
        self, engine: AsyncEngine, max_events: int = 5000, metrics: AuditMetrics | None = None
    ) -> None:
        self.engine = engine
        self.max_events = max_events
        self.metrics = metrics
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ledger-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.done.done():
                pending.done.set_exception(RuntimeError("the ledger writer stopped"))

    async def append(self, events: list[AuditEventIn], submitted_by: Principal) -> list[AuditReceipt]:
        if self._task is None or self._task.done():
            raise RuntimeError("the ledger writer is not running")
        pending = _Pending(events, submitted_by)
        await self._queue.put(pending)
        return await pending.done

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            group = [first]
            count = len(first.events)
            while count < self.max_events and not self._queue.empty():
                nxt = self._queue.get_nowait()
                group.append(nxt)
                count += len(nxt.events)
            began = time.perf_counter()
            try:
                results = await append_now(self.engine, [(p.events, p.submitted_by) for p in group])
            except Exception as exc:  # noqa: BLE001 - every waiter gets the failure
                _log.error("ledger_append_failed", events=count, error=repr(exc))
                if self.metrics is not None:
                    self.metrics.append_failures.inc()
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
                continue
            if self.metrics is not None:
                self.metrics.append_seconds.observe(time.perf_counter() - began)
                self.metrics.appended.inc(count)
            for pending, receipts in zip(group, results, strict=True):
                if not pending.done.done():
                    pending.done.set_result(receipts)
