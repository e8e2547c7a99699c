"""``GET /v1/stats``: aggregate counts for audit's reports and transparency page (never a record),
and the queue metrics the recognition autoscaler reads."""

from __future__ import annotations

import time
from functools import partial

import structlog
from fastapi import APIRouter
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import DbSession, IngestStats, StatsAgency, refresh_forever, stats_route

from .cameras import repository as cameras
from .cameras.service import health_table
from .frames import repository as frames_repo
from .settings import Settings

router = APIRouter(tags=["stats"])
_log = structlog.get_logger("alpr.ingest.stats")


@stats_route(router, IngestStats)
async def stats(session: DbSession, agency: StatsAgency) -> IngestStats:
    """Counts for one agency: active cameras, frames waiting or failed, reads."""
    counts = await frames_repo.counts(session, agency)
    return IngestStats(
        agency=agency,
        cameras=await cameras.count(session, agency),
        frames_pending=counts.frames_pending,
        frames_failed=counts.frames_failed,
        reads=counts.reads,
    )


class QueueMetrics:
    """Gauges refreshed from the database: queue depth (drives the recognition HPA), leases that
    ran out, dead-lettered frames, and outbox lag per consumer (one cheap query each, on the
    ``(status, created_at)`` index, in the background: a scrape runs no query)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        gauge = partial(Gauge, registry=registry)
        self.queue_depth = gauge(
            "alpr_ingest_queue_depth", "Frames waiting for recognition (queued or leased)."
        )
        self.outbox_pending = gauge(
            "alpr_ingest_outbox_pending", "Reads not yet acknowledged, by destination.", ["destination"]
        )
        self.outbox_lag = gauge(
            "alpr_ingest_outbox_lag_seconds", "Age of the oldest unacknowledged read.", ["destination"]
        )
        self.queue_oldest = gauge(
            "alpr_ingest_queue_oldest_age_seconds",
            "Age of the oldest frame waiting for recognition (0: none waiting).",
        )
        self.leases_expired = gauge(
            "alpr_ingest_leases_expired",
            "Frames whose recognition lease ran out without a result, not yet leased again.",
        )
        self.frames_failed = gauge(
            "alpr_ingest_frames_failed",
            "Dead-lettered frames: no result after the last allowed lease (INGEST_MAX_ATTEMPTS).",
        )
        self.camera_health = gauge(
            "alpr_camera_health_cameras",
            "Cameras by health state (GET /v1/cameras/health), per agency.",
            ["agency", "state"],
        )
        self._cameras_at = float("-inf")

    async def refresh_cameras(self, engine: AsyncEngine, settings: Settings) -> None:
        """Camera health counts of every agency (the table's query, per agency)."""
        async with engine.connect() as conn:
            for agency in await cameras.agencies(conn):
                table = await health_table(conn, agency, settings)
                for state, count in table.counts.items():
                    self.camera_health.labels(agency, state.value).set(count)

    async def refresh(self, engine: AsyncEngine) -> None:
        async with engine.connect() as conn:
            queue = await frames_repo.queue_state(conn)
            waiting = await frames_repo.pending(conn)
        self.queue_depth.set(queue.depth)
        self.queue_oldest.set(queue.oldest_s)
        self.leases_expired.set(queue.leases_expired)
        self.frames_failed.set(queue.failed)
        for destination in ("search", "hotlist"):
            count, lag = waiting.get(destination, (0, 0.0))
            self.outbox_pending.labels(destination).set(count)
            self.outbox_lag.labels(destination).set(lag)

    async def run(self, engine: AsyncEngine, settings: Settings) -> None:
        """Refreshes the queue gauges every INGEST_METRICS_REFRESH_SECONDS and the camera
        health counts every INGEST_CAMERA_HEALTH_REFRESH_SECONDS."""

        async def refresh() -> None:
            await self.refresh(engine)
            if time.monotonic() - self._cameras_at >= settings.camera_health_refresh_seconds:
                await self.refresh_cameras(engine, settings)
                self._cameras_at = time.monotonic()

        await refresh_forever(refresh, settings.metrics_refresh_seconds, logger=_log)
