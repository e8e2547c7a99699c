"""Pytest fixtures over the real local parts: embedded PostgreSQL (or ``TEST_DATABASE_URL``),
the SeaweedFS S3 store and the development issuer, each on free loopback ports, plus the
services' apps served in-process through ``httpx.ASGITransport``."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey

from alpr_common import ServiceSettings
from alpr_common.migrations import service_packages, upgrade

from .components import EmbeddedPostgres, SeaweedStore, free_port, port_free, spawn, stop_pid, wait_http_ok
from .issuer import IssuerState

SERVICE_NAMES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")
TRAINED = "2099-12-31"


def seaweed_base_port() -> int:
    """A base port whose seven ports (six internal, then S3) and their gRPC twins (+10000) are free."""
    for _ in range(200):
        base = random.randrange(20000, 30000, 10)
        if all(port_free(p) and port_free(p + 10000) for p in range(base, base + 7)):
            return base
    raise RuntimeError("no free port range for the S3 store")


@dataclass
class Infra:
    """Where the test stack's real parts listen."""

    database_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    issuer_url: str
    issuer_dir: Path
    audience: str = "alpr"

    @property
    def issuer_state(self) -> IssuerState:
        return IssuerState(self.issuer_dir)

    def settings(self, service: str, **overrides: Any) -> ServiceSettings:
        module = import_module(f"alpr_{service}.settings")
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "s3_endpoint": self.s3_endpoint,
            "s3_access_key": self.s3_access_key,
            "s3_secret_key": self.s3_secret_key,
            "oidc_issuer": self.issuer_url,
            "oidc_audience": self.audience,
            "log_json": True,
            **overrides,
        }
        settings: ServiceSettings = module.Settings(**values)
        return settings

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer_state.admin_secret}"}

    def mint(
        self,
        *,
        sub: str = "officer-1",
        name: str = "Officer One",
        agency: str = "CA0019400",
        roles: list[str] | tuple[str, ...] = ("investigator",),
        training_expires: str | None = TRAINED,
        client_id: str | None = None,
        ttl: int = 600,
    ) -> str:
        """A token from the issuer's own endpoint, as ``alpr dev token`` gets one."""
        resp = httpx.post(
            f"{self.issuer_url}/dev/tokens",
            json={
                "sub": sub,
                "name": name,
                "agency": agency,
                "roles": list(roles),
                "training_expires": training_expires,
                "client_id": client_id,
                "ttl": ttl,
            },
            headers=self.admin_headers(),
            timeout=10,
        )
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def sign(
        self, claims: dict[str, Any], header: dict[str, Any] | None = None, key: RSAKey | None = None
    ) -> str:
        """A token signed with the issuer's current key (or ``key``), claims as given."""
        signing = key or self.issuer_state.signing_key()
        head = {"alg": "RS256", "typ": "at+jwt", "kid": signing.kid, **(header or {})}
        return jwt.encode({k: v for k, v in head.items() if v is not None}, claims, signing)

    def standard_claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer_url,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "sub": "officer-1",
            "name": "Officer One",
            "agency": "CA0019400",
            "roles": ["investigator"],
            "alpr_training_expires": TRAINED,
        }
        claims.update(overrides)
        return claims

    def create_database(self, prefix: str = "t") -> str:
        """A new, empty database on the test server (for tests that must own their data)."""
        from sqlalchemy.engine import make_url

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        url = make_url(self.database_url)
        admin = url.set(database="postgres").render_as_string(hide_password=False)

        async def create() -> None:
            conn = await asyncpg.connect(admin)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        _run_in_thread(create)
        return url.set(database=name).render_as_string(hide_password=False)

    def migrated_database(self, *packages: str, prefix: str = "t") -> str:
        """A new database with the given services' migrations applied."""
        url = self.create_database(prefix)
        for package in packages:
            _run_in_thread_sync(lambda p=package: upgrade(p, url))  # type: ignore[misc]
        return url

    def register_client(self, client_id: str, roles: list[str], agency: str = "CA0019400") -> str:
        resp = httpx.post(
            f"{self.issuer_url}/dev/clients",
            headers=self.admin_headers(),
            timeout=10,
            json={"client_id": client_id, "name": client_id, "agency": agency, "roles": roles},
        )
        resp.raise_for_status()
        return str(resp.json()["client_secret"])

    def rotate_key(self) -> str:
        resp = httpx.post(f"{self.issuer_url}/dev/rotate", headers=self.admin_headers(), timeout=10)
        resp.raise_for_status()
        return str(resp.json()["kid"])


def _run_in_thread(make: Callable[[], Any]) -> None:
    """Runs a coroutine to completion on a fresh loop in another thread (safe inside a loop)."""
    _run_in_thread_sync(lambda: asyncio.run(make()))


def _run_in_thread_sync(work: Callable[[], Any]) -> None:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def start_issuer(directory: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    IssuerState(directory)  # keys and admin secret exist before the process reads them
    proc = spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "alpr_devstack.issuer:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        directory / "issuer.log",
        {"ALPR_ISSUER_DIR": str(directory), "ALPR_ISSUER_URL": url, "OIDC_AUDIENCE": "alpr"},
    )
    wait_http_ok(f"{url}/.well-known/openid-configuration", 30, proc)
    return url, proc


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    """The real parts for the whole test session, stopped at its end."""
    root = tmp_path_factory.mktemp("stack")
    procs: list[subprocess.Popen[bytes]] = []
    pg: EmbeddedPostgres | None = None
    database_url = os.environ.get("TEST_DATABASE_URL")
    try:
        if not database_url:
            pg = EmbeddedPostgres(root / "postgres", free_port())
            pg.start()
            database_url = pg.url
        for package in service_packages():
            upgrade(package, database_url)
        base = seaweed_base_port()
        store = SeaweedStore(
            root / "s3",
            s3_port=base + 6,
            base_port=base,
            access_key="alprtest",
            secret_key="alprtest-secret-key",
        )
        procs.append(store.start())
        issuer_url, issuer_proc = start_issuer(root / "issuer")
        procs.append(issuer_proc)
        yield Infra(
            database_url=database_url,
            s3_endpoint=store.endpoint,
            s3_access_key=store.access_key,
            s3_secret_key=store.secret_key,
            issuer_url=issuer_url,
            issuer_dir=root / "issuer",
        )
    finally:
        for proc in reversed(procs):
            stop_pid(proc.pid)
            proc.wait(10)
        if pg is not None:
            pg.stop()


def create_app(service: str, settings: ServiceSettings) -> FastAPI:
    module = import_module(f"alpr_{service}.app")
    app: FastAPI = module.create_app(settings)
    return app


@asynccontextmanager
async def serve(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def serve_http(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """The app on a real loopback port (uvicorn in this process); yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


ServeService = Callable[..., Any]


@pytest.fixture
def serve_service(infra: Infra) -> ServeService:
    """``async with serve_service("search", **setting_overrides) as client: ...``"""

    def factory(service: str, **overrides: Any) -> Any:
        return serve(create_app(service, infra.settings(service, **overrides)))

    return factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(resp: httpx.Response) -> dict[str, Any]:
    """The response's problem document, checked to be one."""
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    body: dict[str, Any] = json.loads(resp.content)
    assert body["status"] == resp.status_code
    assert body["type"].startswith("urn:alpr:problem:")
    return body
