"""Ledger events of state changes, exactly once (issue 16, item 3).

A change (a camera, a hotlist entry, an alert move, a hold, an MOU, a decision, a setting, a
correction) writes its ledger event into the service's outbox in the change's own transaction:
rolled back, no event; committed, exactly one, even if the audit service is down for an hour.
Right after the commit the event is sent at once when the ledger answers within
``deliver_now_s`` (so it is on the ledger by the time the caller has its answer, as before);
otherwise the outbox dispatcher sends it later, retrying. The ledger keeps one row per
``event_id``, so a send repeated by a race or a retry appends nothing.

Views are not recorded here: they stay synchronous and fail closed (no record, no data).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from prometheus_client import CollectorRegistry
from sqlalchemy import Table, func, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ._audit_events import AuditEventIn, audit_event
from ._clients import ServiceCallError
from ._database import after_commit
from ._outbox import (
    OutboxDispatcher,
    OutboxHandler,
    OutboxMessage,
    OutboxOutcome,
    OutboxSettings,
    enqueue_many,
)
from ._problems import ProblemError
from ._service_clients import AuditClient
from ._tokens import Principal
from ._vocabulary import Action

LEDGER_TOPIC = "ledger"
# Events a change could not send at once are retried soon (the ledger should lag by seconds)
# and for as long as audit is down: only an event the ledger refuses itself (4xx) is a dead
# letter, for the operator (`alpr outbox dead`).
DEFAULT_SETTINGS = OutboxSettings(
    poll_s=0.2, backoff_base_s=0.5, backoff_cap_s=60.0, send_timeout_s=20.0, max_attempts=1_000_000
)
_log = structlog.get_logger("alpr.ledger_outbox")


def _refused_by_the_ledger(exc: BaseException) -> bool:
    """The ledger refused the events themselves (4xx): sending them again cannot help."""
    cause = exc.__cause__
    return isinstance(cause, ServiceCallError) and 400 <= cause.problem.status < 500


class LedgerOutbox:
    """One service's outbox of ledger events for its changes, and the dispatcher that sends them."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        audit: AuditClient,
        *,
        settings: OutboxSettings | None = None,
        registry: CollectorRegistry | None = None,
        deliver_now_s: float = 2.0,
        source: str = "",
    ) -> None:
        self.engine = engine
        self.source = source  # the service whose changes these are (``record_change``)
        self.table = table
        self.audit = audit
        self.deliver_now_s = deliver_now_s
        self.dispatcher = OutboxDispatcher(
            engine,
            table,
            {LEDGER_TOPIC: OutboxHandler(AuditEventIn, self._send)},
            settings or DEFAULT_SETTINGS,
            registry,
        )

    async def record(self, session: AsyncSession, *events: AuditEventIn) -> None:
        """Writes the change's events in its transaction, to be sent once it commits."""
        if not events:
            return
        await enqueue_many(session, self.table, LEDGER_TOPIC, events, [e.event_id for e in events])
        after_commit(session, lambda: self._deliver_now(events))

    async def record_change(
        self, session: AsyncSession, principal: Principal, action: Action, **fields: Any
    ) -> None:
        """Writes the event of ``principal``'s change (``audit_event``'s ``fields``), named for this
        service, in the change's transaction."""
        await self.record(session, audit_event(principal, action, source=self.source, **fields))

    async def _deliver_now(self, events: Sequence[AuditEventIn]) -> None:
        try:
            async with asyncio.timeout(self.deliver_now_s):
                await self.audit.record(*events)
        except (TimeoutError, ProblemError) as exc:
            # The dispatcher sends them later; the change stands.
            _log.info("ledger_deferred", events=len(events), error=type(exc).__name__)
            return
        ids = [e.event_id for e in events]
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(self.table)
                    .where(
                        self.table.c.message_id.in_(ids),
                        self.table.c.delivered_at.is_(None),
                        self.table.c.dead_at.is_(None),
                    )
                    .values(delivered_at=func.now())
                )
        except Exception as exc:  # noqa: BLE001 - the dispatcher sends them again: the ledger keeps one
            _log.info("ledger_mark_failed", events=len(events), error=type(exc).__name__)

    async def _send(
        self, messages: Sequence[OutboxMessage[AuditEventIn]]
    ) -> Mapping[uuid.UUID, OutboxOutcome] | None:
        try:
            await self.audit.record(*(m.payload for m in messages))
        except ProblemError as exc:
            if _refused_by_the_ledger(exc):
                return {m.message_id: OutboxOutcome.failed(str(exc.__cause__)[:500]) for m in messages}
            raise
        return None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Runs the dispatcher for as long as the app runs; stops it cleanly on shutdown."""
        task = asyncio.create_task(self.dispatcher.run(), name=f"outbox:{self.table.fullname}")
        try:
            yield
        finally:
            await self.dispatcher.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
