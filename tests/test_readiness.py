"""/readyz follows the database: not ready while PostgreSQL is stopped, ready again when it
returns, with no restart of the service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alpr_common.migrations import upgrade
from alpr_devstack.components import EmbeddedPostgres, free_port
from alpr_devstack.testing import Infra, ServeService, problem


async def test_readyz_follows_postgres(tmp_path: Path, infra: Infra, serve_service: ServeService) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())  # its own server, so stopping it harms no other test
    pg.start()
    try:
        async with serve_service("search", database_url=pg.url) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "object_store": "ok"}

            pg.stop()
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["status"] == "not_ready"
            assert down.json()["checks"]["database"] == "failed"
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready

            pg.start()
            again = await client.get("/readyz")
            assert again.status_code == 200, again.text
    finally:
        pg.stop()


async def test_readyz_reports_object_store_failure(infra: Infra, serve_service: ServeService) -> None:
    async with serve_service("ingest", s3_secret_key="wrong-secret") as client:
        resp = await client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["checks"] == {"database": "ok", "object_store": "failed"}


async def test_readyz_of_a_service_without_database(serve_service: ServeService) -> None:
    """Recognition has no database: it is ready once its model has loaded (503 until then)."""
    async with serve_service("recognition", worker_enabled=False) as client:
        resp = await client.get("/readyz")
        for _ in range(200):
            if resp.status_code == 200:
                break
            assert resp.status_code == 503
            assert resp.json()["checks"] == {"model": "failed"}
            await asyncio.sleep(0.05)
            resp = await client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json()["checks"] == {"model": "ok"}


async def test_database_down_is_503_not_500(
    tmp_path: Path, infra: Infra, serve_service: ServeService
) -> None:
    """A database restart is a dependency being down: 503 with Retry-After, and the request can be retried."""
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())
    pg.start()
    token = {"Authorization": f"Bearer {infra.mint(sub='svc', roles=['service'], training_expires=None)}"}
    try:
        async with serve_service("ingest", database_url=pg.url) as client:
            pg.stop()
            resp = await client.get("/v1/stats", params={"agency": "CA0019400"}, headers=token)
            assert resp.status_code == 503, resp.text
            assert problem(resp)["type"] == "urn:alpr:problem:unavailable"
            assert resp.headers["retry-after"]
    finally:
        pg.stop()


async def test_after_a_database_restart_requests_succeed_again(
    tmp_path: Path, infra: Infra, serve_service: ServeService
) -> None:
    """Pooled connections die with the server: at most one request per process meets one (503,
    retried by the caller), then the pool is fresh (no pre-ping round trip on every request)."""
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())
    pg.start()
    await asyncio.to_thread(upgrade, "alpr_ingest", pg.url)
    token = {"Authorization": f"Bearer {infra.mint(sub='svc', roles=['service'], training_expires=None)}"}
    try:
        async with serve_service("ingest", database_url=pg.url) as client:
            first = await client.get("/v1/stats", params={"agency": "CA0019400"}, headers=token)
            assert first.status_code == 200, first.text
            pg.stop()
            pg.start()
            statuses = [
                (await client.get("/v1/stats", params={"agency": "CA0019400"}, headers=token)).status_code
                for _ in range(3)
            ]
            assert statuses[0] in (200, 503)
            assert statuses[1:] == [200, 200]
    finally:
        pg.stop()
