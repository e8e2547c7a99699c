"""Prometheus metrics of audit: append latency, the ledger's head, the last signed checkpoint
against its schedule, and a verification of the chain as it grows (R20, R30), refreshed in the
background (a scrape runs no query)."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import Metrics, refresh_forever

from .checkpoints import repository as checkpoints
from .ledger import repository as ledger
from .ledger.verification import verify_ledger

_log = structlog.get_logger("alpr.audit.metrics")


class AuditMetrics:
    def __init__(
        self, registry: CollectorRegistry | None = None, checkpoint_every_minutes: float = 15.0
    ) -> None:
        registry = registry or CollectorRegistry()
        metrics = Metrics(registry)
        self.append_seconds = metrics.histogram(
            "alpr_audit_append_duration_seconds",
            "Time of one ledger append transaction (a group of submissions).",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.appended = metrics.counter("alpr_audit_events_appended_total", "Events appended to the ledger.")
        self.append_failures = metrics.counter(
            "alpr_audit_append_failures_total",
            "Append transactions that failed (their submitters got an error).",
        )
        self.head = metrics.gauge(
            "alpr_audit_ledger_head_sequence", "Sequence number of the newest ledger event."
        )
        self.checkpoint_sequence = metrics.gauge(
            "alpr_audit_checkpoint_last_sequence", "Sequence the newest signed checkpoint covers."
        )
        self.checkpoint_at = metrics.gauge(
            "alpr_audit_checkpoint_last_timestamp_seconds",
            "When the newest signed checkpoint was made (0: none yet).",
        )
        self.checkpoint_interval = metrics.gauge(
            "alpr_audit_checkpoint_interval_seconds",
            "The checkpoint schedule: a checkpoint at least this often while events arrive.",
        )
        self.checkpoint_interval.set(checkpoint_every_minutes * 60)
        self.verify_ok = metrics.gauge(
            "alpr_audit_ledger_verify_ok",
            "1 while the chain verified so far holds (hashes, signed checkpoints); 0 once it breaks.",
        )
        self.verified = metrics.gauge(
            "alpr_audit_ledger_verified_sequence", "Last sequence the background verification checked."
        )
        self.verify_at = metrics.gauge(
            "alpr_audit_ledger_verify_last_timestamp_seconds",
            "When the background verification last ran to the head.",
        )
        self._verified_to: int | None = None

    async def refresh(self, engine: AsyncEngine, trusted_keys: frozenset[str]) -> None:
        async with engine.connect() as conn:
            head = await ledger.head_sequence(conn)
            last = await checkpoints.latest(conn)
        self.head.set(head or 0)
        if last is not None:
            self.checkpoint_sequence.set(last.sequence)
            self.checkpoint_at.set(last.created_at.timestamp())
        # Verified incrementally: from the newest checkpoint at start (its signature included),
        # then only what was appended since. A whole-ledger check is `alpr audit verify`.
        if self._verified_to is None:
            self._verified_to = max((last.sequence if last is not None else 1) - 1, 0)
            self.verify_ok.set(1)
        if head is not None and head > self._verified_to:
            async with engine.connect() as conn:
                result = await verify_ledger(conn, trusted_keys, self._verified_to + 1, head)
            if result.ok:
                self._verified_to = head
                self.verify_ok.set(1)
            else:
                _log.error("ledger_verify_failed", first_broken_sequence=result.first_broken_sequence)
                self.verify_ok.set(0)
            self.verified.set(self._verified_to)
        self.verify_at.set(time.time())

    async def run(
        self, engine: AsyncEngine, trusted_keys: Callable[[], frozenset[str]], every_s: float
    ) -> None:
        await refresh_forever(lambda: self.refresh(engine, trusted_keys()), every_s, logger=_log)
