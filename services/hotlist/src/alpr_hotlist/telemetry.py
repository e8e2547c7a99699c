"""Prometheus metrics of hotlist: matching, alerts by grade, webhook deliveries, open alert
streams, and when each source last synced (R11), refreshed from the database in the background."""

from __future__ import annotations

import structlog
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import Metrics, refresh_forever

from .sources import repository as sources
from .vocabulary import Grade

_log = structlog.get_logger("alpr.hotlist.metrics")


class HotlistMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        metrics = Metrics(registry)
        self.reads_checked = metrics.counter(
            "alpr_hotlist_reads_checked_total", "Reads checked against the hotlists."
        )
        self.matches = metrics.counter(
            "alpr_hotlist_matches_total",
            "Hits of reads on alerting entries, by grade (exact, partial, confusable); a redelivered "
            "read is counted again but makes no second alert.",
            labels=["grade"],
        )
        self.alerts = metrics.counter("alpr_hotlist_alerts_total", "Alerts made, by grade.", labels=["grade"])
        self.deliveries = metrics.counter(
            "alpr_hotlist_webhook_deliveries_total",
            "Webhook delivery attempts, by result: delivered, retry (to be tried again) or failed.",
            labels=["result"],
        )
        self.delivery_seconds = metrics.histogram(
            "alpr_hotlist_webhook_delivery_duration_seconds",
            "Time of one webhook delivery attempt (the receiver's answer or the timeout).",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.streams = metrics.gauge(
            "alpr_hotlist_alert_streams", "Alert streams (SSE subscribers) open on this replica."
        )
        self.source_success = metrics.gauge(
            "alpr_hotlist_source_last_success_timestamp_seconds",
            "When each enabled source last synced successfully (its creation time until it has); "
            "entries not refreshed in 24 hours stop matching (R11).",
            labels=["agency", "source"],
        )
        self.sources_enabled = metrics.gauge("alpr_hotlist_sources_enabled", "Sources enabled for syncing.")
        for grade in Grade:  # every grade's series exists from the start, so rate() sees the first
            self.matches.labels(grade.value)
            self.alerts.labels(grade.value)
        for result in ("delivered", "retry", "failed"):
            self.deliveries.labels(result)

    def alerts_made(self, grades: list[str], made: int) -> None:
        """``made`` of the alerts of ``grades`` were new. When some were made before (a
        redelivered read), which ones is not known: the new ones are counted as the first."""
        for grade in grades[:made]:
            self.alerts.labels(grade).inc()

    async def refresh(self, engine: AsyncEngine) -> None:
        async with engine.connect() as conn:
            rows = await sources.last_successes(conn)
        # Cleared and set with no await between: a scrape sees the old set or the new one.
        self.source_success.clear()
        for agency, source_id, at in rows:
            self.source_success.labels(agency, str(source_id)).set(at)
        self.sources_enabled.set(len(rows))

    async def run(self, engine: AsyncEngine, every_s: float = 15.0) -> None:
        await refresh_forever(lambda: self.refresh(engine), every_s, logger=_log)
