"""The worker loop against a real ingest service: frames uploaded by a camera are read and their
reads stored once; frames claimed by a worker that died are read after the lease runs out.
Ingest and audit are loaded by name through alpr_devstack (no import of their code)."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import numpy as np
import pytest
from PIL import Image
from prometheus_client import CollectorRegistry
from recognition_support import jpeg, scene

from alpr_common import ServiceClients
from alpr_devstack.consumers import StubConsumer, ingest_with_stub_consumers
from alpr_devstack.testing import Infra, bearer, create_app, frame_form, serve_http
from alpr_recognition.engine import Engine
from alpr_recognition.pipeline import Recognizer
from alpr_recognition.settings import Settings
from alpr_recognition.telemetry import RecognitionMetrics
from alpr_recognition.worker import Worker

AGENCY = "CA0019400"


@dataclass
class Pipeline:
    ingest: httpx.AsyncClient
    search: StubConsumer
    settings: Settings
    camera_id: str
    camera: dict[str, str]
    http: httpx.AsyncClient
    database_url: str

    async def upload(self, text: str, seed: int) -> str:
        frame, _ = scene(text, seed=seed)
        return await self.upload_image(jpeg(frame), "f.jpg", "image/jpeg")

    async def upload_image(self, data: bytes, name: str, kind: str) -> str:
        resp = await self.ingest.post(
            "/v1/frames",
            data=frame_form(self.camera_id),
            files={"image": (name, data, kind)},
            headers=self.camera,
        )
        assert resp.status_code == 202, resp.text
        return str(resp.json()["id"])

    async def sizes(self) -> set[tuple[int, int]]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return {
                (r["width"], r["height"]) for r in await conn.fetch("SELECT width, height FROM ingest.frames")
            }
        finally:
            await conn.close()

    async def done(self, frame_ids: list[str]) -> bool:
        conn = await asyncpg.connect(self.database_url)
        try:
            rows = await conn.fetch("SELECT id::text, status FROM ingest.frames WHERE status = 'done'")
        finally:
            await conn.close()
        return set(frame_ids) <= {r["id"] for r in rows}

    async def drained(self) -> bool:
        """Ingest's outbox holds nothing more for search: every delivery it will make is made."""
        conn = await asyncpg.connect(self.database_url)
        try:
            pending = await conn.fetchval(
                "SELECT count(*) FROM ingest.outbox_messages "
                "WHERE topic = 'search' AND delivered_at IS NULL AND dead_at IS NULL"
            )
        finally:
            await conn.close()
        return int(pending) == 0

    def worker(self, recognizer: Recognizer) -> Worker:
        engine = Engine(self.settings, RecognitionMetrics(CollectorRegistry()))
        engine.recognizer = recognizer  # the session's loaded model
        clients = ServiceClients.build(self.settings, self.http)
        return Worker(self.settings, engine, clients.ingest, self.http)

    async def read(self, recognizer: Recognizer, frame_ids: list[str]) -> None:
        """Runs a worker until each of the frames is done and search holds as many reads, then
        stops it."""
        task = asyncio.create_task(self.worker(recognizer).run())
        try:
            await _until(lambda: self.done(frame_ids))
            await _until(lambda: _async(len(self.search.stored) >= len(frame_ids)))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def pipeline(infra: Infra) -> AsyncIterator[Pipeline]:
    worker_secret = infra.register_client("svc-recognition-rt", roles=["service"])
    async with ingest_with_stub_consumers(
        infra, client_id="svc-ingest-rt", prefix="recog", outbox_poll_seconds=0.05
    ) as (base, search, _):
        async with (
            serve_http(create_app("ingest", base.settings)) as ingest_url,
            httpx.AsyncClient(base_url=ingest_url, timeout=30) as ingest,
            httpx.AsyncClient(timeout=30) as http,
        ):
            admin = bearer(infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"]))
            resp = await ingest.post(
                "/v1/cameras",
                json={
                    "name": "cam-r",
                    "kind": "fixed",
                    "client_id": "cam-r",
                    "latitude": 37.3,
                    "longitude": -121.9,
                },
                headers=admin,
            )
            assert resp.status_code == 201, resp.text
            camera = bearer(
                infra.mint(
                    sub="cam-r", agency=AGENCY, roles=["camera"], training_expires=None, client_id="cam-r"
                )
            )
            settings = infra.settings(
                "recognition",
                ingest_url=ingest_url,
                client_id="svc-recognition-rt",
                client_secret=worker_secret,
                claim_batch=8,
                lease_seconds=5,
                idle_poll_seconds=0.1,
            )
            assert isinstance(settings, Settings)
            yield Pipeline(ingest, search, settings, resp.json()["id"], camera, http, base.database_url)


async def _until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


def _plates(search: StubConsumer) -> list[str]:
    return sorted(str(item["plate"]) for item in search.stored.values())


async def test_uploaded_frames_are_read_once(pipeline: Pipeline, recognizer: Recognizer) -> None:
    plates = {
        await pipeline.upload(text, seed): text for seed, text in enumerate(["8ABC123", "XYZ4455", "2MNP907"])
    }
    await pipeline.read(recognizer, list(plates))
    await _until(pipeline.drained)  # nothing more on its way: the count below is final
    assert _plates(pipeline.search) == sorted(plates.values())  # one read per frame, read right
    assert Counter(pipeline.search.received) == Counter(list(pipeline.search.stored))  # each read once


async def test_frames_as_monochrome_and_turned_cameras_write_them_are_read(
    pipeline: Pipeline, recognizer: Recognizer
) -> None:
    """Through ingest, the store and the worker: a JPEG stored on its side with EXIF orientation 6
    and a 16-bit greyscale PNG are read (each read nothing before), and ingest records the size
    the frame is shown at (960 x 720 for both)."""
    upright, _ = scene("7TUV482", seed=21)
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(turned, format="JPEG", quality=90, exif=exif.tobytes())
    grey, _ = scene("4WXY915", seed=22)
    wide = io.BytesIO()
    Image.fromarray(np.asarray(grey.convert("L")).astype(np.uint16) * 257).save(wide, format="PNG")
    frames = {
        await pipeline.upload_image(turned.getvalue(), "f.jpg", "image/jpeg"): "7TUV482",
        await pipeline.upload_image(wide.getvalue(), "f.png", "image/png"): "4WXY915",
    }
    await pipeline.read(recognizer, list(frames))
    assert _plates(pipeline.search) == sorted(frames.values())
    assert await pipeline.sizes() == {(960, 720)}


async def test_frames_held_by_a_dead_worker_are_read_after_the_lease(
    pipeline: Pipeline, recognizer: Recognizer
) -> None:
    frames = {
        await pipeline.upload(text, 10 + seed): text for seed, text in enumerate(["5JKL321", "AB12CDE"])
    }
    dead = pipeline.worker(recognizer)
    claimed = await dead.ingest.claim_frames(8, 5)  # ...and the worker is killed before it posts
    assert {str(c.frame_id) for c in claimed} == set(frames)
    began = asyncio.get_running_loop().time()
    await pipeline.read(recognizer, list(frames))
    assert asyncio.get_running_loop().time() - began >= 4  # only once the dead worker's lease ran out
    assert _plates(pipeline.search) == sorted(frames.values())
    # The dead worker's late submission is refused: nothing is stored twice.
    late = await pipeline.http.post(
        f"{pipeline.settings.ingest_url}/v1/frames/{claimed[0].frame_id}/reads",
        json={"lease_id": str(claimed[0].lease_id), "reads": []},
        headers={"Authorization": f"Bearer {await _service_token(pipeline)}"},
    )
    assert late.status_code == 409


async def _async(value: bool) -> bool:
    return value


async def _service_token(pipeline: Pipeline) -> str:
    clients = ServiceClients.build(pipeline.settings, pipeline.http)
    headers = await clients.ingest._headers(None)
    return headers["Authorization"].removeprefix("Bearer ")
