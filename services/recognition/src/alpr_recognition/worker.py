"""The worker loop: claim leased frames from ingest, read them in one batch, post the reads.

Nothing is lost when a worker dies: a frame stays leased until its reads are stored, and a
lease that runs out is claimed again by any worker. Ingest stores a frame's reads and marks it
done in one transaction and refuses a second submission (409), so reads are posted once.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
import uuid
from datetime import UTC, datetime

import anyio
import httpx
from PIL import Image

from alpr_common import (
    ClaimedFrame,
    IngestClient,
    ReadsSubmission,
    RecognizedRead,
    ServiceCallError,
    decode_rgb,
)

from .engine import Engine
from .pipeline import Read
from .schemas import PlateRead
from .settings import Settings

log = logging.getLogger("alpr.recognition.worker")


def _crop_b64(read: Read) -> str | None:
    if read.crop is None:
        return None
    out = io.BytesIO()
    read.crop.save(out, format="JPEG", quality=90)
    return base64.b64encode(out.getvalue()).decode()


def submission(lease_id: uuid.UUID, reads: list[Read], model_version: str) -> ReadsSubmission:
    """The body of ``POST /v1/frames/{id}/reads`` for one frame (CONTRACT: Ingest). Each read
    names the model that made it, so confirmed misreads count per model version (R22)."""
    return ReadsSubmission(
        lease_id=lease_id,
        reads=[
            RecognizedRead.model_validate(
                PlateRead.of(r).model_dump() | {"crop": _crop_b64(r), "model_version": model_version}
            )
            for r in reads[:50]
        ],
    )


class Worker:
    def __init__(
        self, settings: Settings, engine: Engine, ingest: IngestClient, http: httpx.AsyncClient
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.ingest = ingest
        self.http = http
        self._fetch_limit = asyncio.Semaphore(settings.fetch_concurrency)

    async def _fetch(self, item: ClaimedFrame) -> Image.Image | None:
        async with self._fetch_limit:
            try:
                resp = await self.http.get(item.image_url, timeout=30.0)
                resp.raise_for_status()
                data = resp.content
            except httpx.HTTPError as exc:
                self.engine.metrics.worker_errors.labels("fetch").inc()
                log.warning("frame_fetch_failed frame=%s error=%r", item.frame_id, exc)
                return None
        try:
            return await anyio.to_thread.run_sync(decode_rgb, data)
        except (OSError, ValueError) as exc:
            self.engine.metrics.worker_errors.labels("decode").inc()
            log.warning("frame_decode_failed frame=%s error=%r", item.frame_id, exc)
            return None

    async def run_once(self) -> int:
        """Claims, reads and posts one batch; answers how many frames were finished."""
        items = await self.ingest.claim_frames(self.settings.claim_batch, self.settings.lease_seconds)
        if not items:
            return 0
        began = time.perf_counter()
        newest = max((i.captured_at for i in items), default=None)
        if newest is not None:
            self.engine.metrics.queue_lag.set(max(0.0, (datetime.now(UTC) - newest).total_seconds()))
        fetched = await asyncio.gather(*(self._fetch(item) for item in items))
        ready = [(item, image) for item, image in zip(items, fetched, strict=True) if image is not None]
        if not ready:
            return 0
        results = await self.engine.recognize([image for _, image in ready], source="worker", keep_crops=True)
        done = 0
        for (item, _), reads in zip(ready, results, strict=True):
            try:
                await self.ingest.submit_reads(
                    item.frame_id, submission(item.lease_id, reads, self.engine.model_version)
                )
                done += 1
            except ServiceCallError as exc:
                # 409: the lease ran out and the frame went to another worker; nothing was stored.
                self.engine.metrics.worker_errors.labels("submit").inc()
                log.warning("reads_refused frame=%s status=%s", item.frame_id, exc.problem.status)
        elapsed = time.perf_counter() - began
        self.engine.metrics.images_per_second.set(len(ready) / elapsed if elapsed > 0 else 0.0)
        log.info("batch_done frames=%d reads=%d seconds=%.3f", done, sum(len(r) for r in results), elapsed)
        return done

    async def run(self) -> None:
        """Runs until cancelled; waits for the model, backs off while ingest is unreachable."""
        while self.engine.recognizer is None:
            if self.engine.failed is not None:
                return
            await asyncio.sleep(0.2)
        backoff = self.settings.idle_poll_seconds
        while True:
            try:
                finished = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # ingest down, token issuer down: keep trying, never die
                self.engine.metrics.worker_errors.labels("claim").inc()
                log.warning("worker_batch_failed error=%r", exc)
                await asyncio.sleep(backoff)
                backoff = min(30.0, backoff * 2)
                continue
            backoff = self.settings.idle_poll_seconds
            if finished == 0:
                await asyncio.sleep(self.settings.idle_poll_seconds)
