"""A hung object store (it accepts the connection and never answers) costs an upload a few
seconds, not half a minute: the frame is 503 with Retry-After within the bound the README
promises, and nothing is left in the database (issue 19: S3_TIMEOUT_S, S3_RETRIES)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from ingest_support import Stack, jpeg, post_frame

from alpr_devstack.testing import problem, serve
from alpr_ingest.app import create_app

BOUND_S = 8.0


class HungStore:
    """A loopback TCP listener that accepts, reads whatever it is sent and never answers."""

    def __init__(self) -> None:
        self.accepted = 0
        self.endpoint = ""
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)
        while await reader.read(65536):
            pass  # the request is taken in; no answer ever comes
        writer.close()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.endpoint = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self.endpoint

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


@pytest.fixture
async def hung_store() -> AsyncIterator[HungStore]:
    store = HungStore()
    await store.start()
    try:
        yield store
    finally:
        await store.stop()


async def test_upload_to_a_hung_store_is_503_quickly_and_leaves_nothing(
    stack: Stack, hung_store: HungStore
) -> None:
    # The shipped timeouts (S3_TIMEOUT_S, S3_RETRIES at their defaults), only the endpoint moved.
    defaults = type(stack.settings)()
    settings = stack.settings.model_copy(
        update={
            "s3_endpoint": hung_store.endpoint,
            "s3_timeout_s": defaults.s3_timeout_s,
            "s3_retries": defaults.s3_retries,
        }
    )
    camera_id, token = await stack.camera()
    before = await _counts(stack.database_url)
    async with serve(create_app(settings)) as client:
        started = time.monotonic()
        resp = await post_frame(client, camera_id, token, jpeg(7, size=(200, 150)))
        elapsed = time.monotonic() - started
    assert resp.status_code == 503, resp.text
    assert problem(resp)["type"] == "urn:alpr:problem:unavailable"
    assert resp.headers["retry-after"]
    assert elapsed < BOUND_S, f"a hung store held the upload {elapsed:.1f} s"
    # It did wait on the hung store (a timeout, not a refused connection).
    assert hung_store.accepted >= 1
    assert elapsed >= defaults.s3_timeout_s

    assert await _counts(stack.database_url) == before  # no frame row, no outbox event


async def _counts(database_url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        frames = await conn.fetchval("SELECT count(*) FROM ingest.frames")
        outbox = await conn.fetchval("SELECT count(*) FROM ingest.outbox_messages")
    finally:
        await conn.close()
    return frames, outbox
