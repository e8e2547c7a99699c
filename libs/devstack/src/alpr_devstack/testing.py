"""Pytest fixtures over the real local parts: embedded PostgreSQL (or ``TEST_DATABASE_URL``),
the SeaweedFS S3 store and the development issuer, each on free loopback ports, plus the
services' apps served in-process through ``httpx.ASGITransport``.

Databases: a test's database is a clone (``CREATE DATABASE ... TEMPLATE``) of a template
migrated once per session for the same set of services. It is dropped when whatever made it
is torn down (the fixture, of any scope, or the test itself); the templates when the session
ends. Every name carries the xdist worker and a random suffix, so workers (or sessions) sharing
one ``TEST_DATABASE_URL`` never meet.

Services are loaded by module name (``alpr_<service>.app``), never imported here: this library
is below the services (the import check in ``tools/check_imports.py``)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, NoReturn, TypeVar

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from joserfc import jwt
from joserfc.jwk import RSAKey
from minio.error import S3Error
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    AUTHENTICATOR_ATTR,
    MACHINE_ROLES,
    AgencyPolicy,
    AgencyPolicyVersion,
    PolicyStatus,
    Principal,
    Role,
    ServiceSettings,
    Unavailable,
    create_service_app,
    ensure_bucket,
    make_engine,
    make_object_store,
    make_sessionmaker,
    require_roles,
    tls_context,
)
from alpr_common.migrations import service_packages, upgrade

from .components import (
    EmbeddedPostgres,
    SeaweedStore,
    free_port,
    reserve_ports,
    spawn,
    stop_pid,
    wait_http_ok,
)
from .issuer import IssuerState, serve_command

SERVICE_NAMES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")
TRAINED = "2099-12-31"
# A service's own settings class (a subclass of ``ServiceSettings``), never imported here.
OwnSettings = TypeVar("OwnSettings", bound=ServiceSettings)


_STORE_BASES = range(20000, 22760, 10)


def seaweed_base_port() -> int:
    """A base port whose seven ports (six internal, then S3) and their gRPC twins (+10000) are
    free and reserved for this worker (``reserve_ports``)."""
    # The twins stay below the kernel's ephemeral range (32768 and up), as a stack's ports do.
    bases = random.sample(_STORE_BASES, len(_STORE_BASES))
    chosen = reserve_ports([*range(base, base + 7), *range(base + 10000, base + 10007)] for base in bases)
    return chosen[0]


def worker_store(root: Path, access_key: str, secret_key: str, **options: Any) -> SeaweedStore:
    """A SeaweedFS S3 store in ``root`` on this test worker's ports (``seaweed_base_port``), not
    started yet."""
    base = seaweed_base_port()
    return SeaweedStore(
        root, s3_port=base + 6, base_port=base, access_key=access_key, secret_key=secret_key, **options
    )


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
    # Databases made for tests, each with the fixture (or None: the test) that made it, and
    # migrated templates; guarded because tests call these from helper threads too.
    _created: list[tuple[object | None, str]] = field(default_factory=list, repr=False)
    _templates: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # One kept-alive client for the issuer's development endpoints: a client made per call
    # loaded the CA bundle and connected again for every token a test minted.
    _issuer_http: httpx.Client | None = field(default=None, repr=False)

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
            # Issue 17: without a policy of its own an agency's searches fall in search's default
            # warrant-style tiers (the policy's strictest: a plate across every camera for more
            # than a day needs a supervisor's approval). The test stacks search so throughout; a
            # test of the tiers sets them (``default_tiers``) or serves a policy that has them.
            **({"default_tiers": []} if service == "search" else {}),
            **overrides,
        }
        settings: ServiceSettings = module.Settings(**values)
        return settings

    def process_env(self, database_url: str, *, audit_port: int | None = None) -> dict[str, str]:
        """The environment of a service run as its own process on this stack (as benchmarks run
        it): its database, the store and the issuer, quiet logs, and the ledger where audit runs."""
        env = {
            "DATABASE_URL": database_url,
            "S3_ENDPOINT": self.s3_endpoint,
            "S3_ACCESS_KEY": self.s3_access_key,
            "S3_SECRET_KEY": self.s3_secret_key,
            "OIDC_ISSUER": self.issuer_url,
            "LOG_LEVEL": "WARNING",
        }
        if audit_port is not None:
            env["AUDIT_URL"] = f"http://127.0.0.1:{audit_port}"
        return env

    async def ledger_events(self, audit_url: str, **params: str) -> list[dict[str, Any]]:
        """The events of the ledger at ``audit_url`` that match ``params``, read as an auditor."""
        auditor = bearer(self.mint(sub="aud-1", roles=["auditor"]))
        async with httpx.AsyncClient(verify=tls_context()) as http:
            resp = await http.get(f"{audit_url}/v1/events", params=params, headers=auditor)
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

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
        resp = self._issuer_post(
            "/dev/tokens",
            json={
                "sub": sub,
                "name": name,
                "agency": agency,
                "roles": list(roles),
                "training_expires": training_expires,
                "client_id": client_id,
                "ttl": ttl,
            },
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

    def _admin_url(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).set(database="postgres").render_as_string(hide_password=False)

    def _url_of(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).set(database=name).render_as_string(hide_password=False)

    def _admin(self, *statements: str) -> None:
        """Runs statements on the server's maintenance database (safe inside a running loop)."""

        async def run() -> None:
            conn = await asyncpg.connect(self._admin_url())
            try:
                for statement in statements:
                    await _retry_in_use(lambda st=statement: conn.execute(st))  # type: ignore[misc]
            finally:
                await conn.close()

        _run_in_thread(run)

    def create_database(self, prefix: str = "t") -> str:
        """A new, empty database on the test server (for tests that must own their data),
        dropped when the fixture or test that asked for it is torn down."""
        name = _database_name(prefix)
        self._admin(f'CREATE DATABASE "{name}"')
        self._own(name)
        return self._url_of(name)

    def _own(self, name: str) -> None:
        with self._lock:
            self._created.append((_SETTING_UP[-1] if _SETTING_UP else None, name))

    def migrated_database(self, *packages: str, prefix: str = "t") -> str:
        """A new database with the given services' migrations applied: a clone of a template
        migrated once per session for the same packages; dropped like ``create_database``'s."""
        template = self._template(tuple(sorted(packages)))
        name = _database_name(prefix)
        # FILE_COPY copies the template's files where PostgreSQL's default since 15 (WAL_LOG)
        # writes every page through the WAL: sharing's test_policy.py spent 41 ms per clone
        # against 60 ms.
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        self._own(name)
        return self._url_of(name)

    def _template(self, packages: tuple[str, ...]) -> str:
        with self._lock:
            if packages in self._templates:
                return self._templates[packages]
            digest = hashlib.sha1(",".join(packages).encode()).hexdigest()[:8]
            name = _database_name(f"tpl_{digest}")
            self._admin(f'CREATE DATABASE "{name}"')
            try:
                for package in _in_dependency_order(packages):
                    _run_in_thread_sync(lambda p=package: upgrade(p, self._url_of(name)))  # type: ignore[misc]
                # A template nobody connects to: CREATE DATABASE ... TEMPLATE needs it idle.
                self._admin(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
            except BaseException:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
            self._templates[packages] = name
            return name

    def drop_databases(self, owner: object | None = None, *, every: bool = False) -> None:
        """Drops the databases ``owner`` made (all of them with ``every``). Its services have
        stopped by then; FORCE ends any connection a child process left behind."""
        with self._lock:
            names = [n for o, n in self._created if every or o is owner]
            self._created[:] = [(o, n) for o, n in self._created if not (every or o is owner)]
        if names:
            self._admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))

    def drop_templates(self) -> None:
        with self._lock:
            names = list(self._templates.values())
            self._templates.clear()
        self._admin(
            *(f'ALTER DATABASE "{n}" WITH IS_TEMPLATE false' for n in names),
            *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names),
        )

    def register_client(self, client_id: str, roles: list[str], agency: str = "CA0019400") -> str:
        resp = self._issuer_post(
            "/dev/clients",
            json={"client_id": client_id, "name": client_id, "agency": agency, "roles": roles},
        )
        resp.raise_for_status()
        return str(resp.json()["client_secret"])

    def rotate_key(self) -> str:
        resp = self._issuer_post("/dev/rotate")
        resp.raise_for_status()
        return str(resp.json()["kid"])

    def _issuer_post(self, path: str, **kwargs: Any) -> httpx.Response:
        """``POST`` to one of the issuer's development endpoints, as its admin."""
        with self._lock:
            if self._issuer_http is None:
                self._issuer_http = httpx.Client(timeout=10, verify=tls_context())
            http = self._issuer_http
        return http.post(f"{self.issuer_url}{path}", headers=self.admin_headers(), **kwargs)

    def close(self) -> None:
        """Closes the client of the issuer's endpoints (the session's end)."""
        with self._lock:
            http, self._issuer_http = self._issuer_http, None
        if http is not None:
            http.close()


def _database_name(prefix: str) -> str:
    """A database name unique across xdist workers and sessions sharing one server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:12]}" if worker else f"{prefix}_{uuid.uuid4().hex[:12]}"


def _in_dependency_order(packages: tuple[str, ...]) -> list[str]:
    order = service_packages()
    return sorted(packages, key=lambda p: order.index(p) if p in order else len(order))


async def _retry_in_use(run: Callable[[], Any], attempts: int = 50) -> None:
    """A CREATE ... TEMPLATE or DROP refused while a backend that just closed still lingers."""
    for attempt in range(attempts):
        try:
            await run()
            return
        except asyncpg.ObjectInUseError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1)


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
        serve_command(port),
        directory / "issuer.log",
        {"ALPR_ISSUER_DIR": str(directory), "ALPR_ISSUER_URL": url, "OIDC_AUDIENCE": "alpr"},
    )
    wait_http_ok(f"{url}/.well-known/openid-configuration", 30, proc)
    return url, proc


# The session's Infra once a test asked for it (the cleanup hooks below must not start it),
# and the fixtures being set up (innermost last): a database belongs to the one that made it.
_SESSION: list[Infra] = []
_SETTING_UP: list[object] = []


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Any:
    _SETTING_UP.append(fixturedef)
    try:
        return (yield)
    finally:
        _SETTING_UP.pop()


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    """A fixture's own teardown has run (its services are stopped): its databases go."""
    if _SESSION:
        _SESSION[0].drop_databases(fixturedef)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """After a test's fixtures are torn down: the databases its body made go."""
    try:
        return (yield)
    finally:
        if _SESSION:
            _SESSION[0].drop_databases(None)


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
        store = worker_store(root / "s3", "alprtest", "alprtest-secret-key")
        procs.append(store.start())
        issuer_url, issuer_proc = start_issuer(root / "issuer")
        procs.append(issuer_proc)
        built = Infra(
            database_url=database_url,
            s3_endpoint=store.endpoint,
            s3_access_key=store.access_key,
            s3_secret_key=store.secret_key,
            issuer_url=issuer_url,
            issuer_dir=root / "issuer",
        )
        _SESSION.append(built)
        try:
            yield built
        finally:
            _SESSION.clear()
            built.drop_databases(every=True)
            built.drop_templates()
            built.close()
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

    class Server(uvicorn.Server):
        """uvicorn's server, whose main loop ends as soon as it is told to stop rather than at its
        next 0.1 s tick (every test's teardown waited for it, twice where it served two apps)."""

        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.stop = asyncio.Event()

        async def main_loop(self) -> None:
            await self.on_tick(0)  # the Date header, once: a test's server lives seconds
            await self.stop.wait()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            """uvicorn's shutdown without its fixed waits: it sleeps 0.1 s after asking the
            connections to close and then polls every 0.1 s until they and their tasks are gone,
            which every test serving an app paid in its teardown. The same steps, polled often."""
            for listening in self.servers:
                listening.close()
            for connection in list(self.server_state.connections):
                connection.shutdown()
            # uvicorn waits without end unless told a grace period; a test gets 10 s, then its
            # server's unfinished requests are cancelled as uvicorn cancels them after the period.
            deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 10)
            while self.server_state.connections or self.server_state.tasks:
                if time.monotonic() > deadline:
                    for pending in self.server_state.tasks:
                        pending.cancel()
                    break
                await asyncio.sleep(0.005)
            for listening in self.servers:
                await listening.wait_closed()
            await self.lifespan.shutdown()

    port = port or free_port()
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
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
        server.stop.set()
        await task


def audit_signing_key() -> str:
    """A fresh checkpoint signing key in the form ``AUDIT_SIGNING_KEY`` takes (an Ed25519 seed,
    base64), as ``alpr dev up`` makes one: tests of other services need a ledger, not audit's code."""
    return base64.b64encode(os.urandom(32)).decode()


@asynccontextmanager
async def serve_audit(
    infra: Infra, database_url: str, port: int | None = None, **overrides: Any
) -> AsyncIterator[str]:
    """The real audit service on a loopback port, its ledger in ``database_url`` (which carries
    the ``alpr_audit`` schema); yields its base URL."""
    settings = infra.settings(
        "audit", database_url=database_url, signing_key=audit_signing_key(), **overrides
    )
    async with serve_http(create_app("audit", settings), port) as url:
        yield url


class ActsAs:
    """For a test stack (a dataclass with ``infra`` and a ``tokens`` dict, empty at first): the
    bearer header of a subject with roles, minted once per subject, roles, agency and client,
    named after the subject, with training current unless every role is a machine role (R2)."""

    infra: Infra
    tokens: dict[tuple[Any, ...], dict[str, str]]
    token_ttl: ClassVar[int] = 600

    def as_(
        self,
        sub: str,
        *roles: str,
        agency: str = "CA0019400",
        client_id: str | None = None,
        name: str | None = None,
    ) -> dict[str, str]:
        key = (sub, roles, agency, client_id)
        if key not in self.tokens:
            machine = set(roles) <= MACHINE_ROLES
            self.tokens[key] = bearer(
                self.infra.mint(
                    sub=sub,
                    name=name or sub.replace("-", " ").title(),
                    agency=agency,
                    roles=list(roles),
                    training_expires=None if machine else TRAINED,
                    client_id=client_id,
                    ttl=self.token_ttl,
                )
            )
        return self.tokens[key]


@dataclass(frozen=True)
class AuditedService:
    """A service's settings for a test, with its own database and bucket and the real audit
    service it records to."""

    settings: ServiceSettings
    database_url: str
    audit_url: str

    def settings_as(self, kind: type[OwnSettings]) -> OwnSettings:
        """The settings as the service's own class ``kind`` (``infra.settings`` answers the base
        class, since services are never imported here)."""
        assert isinstance(self.settings, kind)
        return self.settings


@dataclass
class ServiceStack:
    """What a service's test stack holds whatever the service: ``client`` calling it, ``base``
    (``audited_service``: its settings, database and the audit it records to) and the infra. A
    service's stack adds its own callers and stand-ins, and ``settings`` as its own class."""

    client: httpx.AsyncClient
    base: AuditedService
    infra: Infra

    @property
    def database_url(self) -> str:
        return self.base.database_url

    @property
    def audit_url(self) -> str:
        return self.base.audit_url


@asynccontextmanager
async def audited_service(
    infra: Infra, service: str, *, client_id: str, prefix: str, **overrides: Any
) -> AsyncIterator[AuditedService]:
    """Settings for ``service`` on a database migrated for it and audit, a bucket of its own (each
    test sees only its own objects) and the machine client ``client_id``, while audit serves its
    ledger on a loopback port; ``overrides`` are further settings. The caller serves the app."""
    database_url = infra.migrated_database(f"alpr_{service}", "alpr_audit", prefix=prefix)
    secret = infra.register_client(client_id, roles=["service"])
    async with serve_audit(infra, database_url) as audit_url:
        bucket = f"{prefix}-{uuid.uuid4().hex[:12]}"
        settings = infra.settings(
            service,
            database_url=database_url,
            s3_bucket=bucket,
            audit_url=audit_url,
            client_id=client_id,
            client_secret=secret,
            **overrides,
        )
        ensure_bucket(make_object_store(settings), bucket)
        yield AuditedService(settings=settings, database_url=database_url, audit_url=audit_url)


@dataclass
class FakeSharing:
    """Sharing as far as agency policies go (issue 17): ``policies`` is what it serves, each in
    force as its version in ``versions`` (1 unless set); another agency gets version 0, the
    defaults, as real sharing answers. While ``down`` it answers 503, as a sharing that cannot be
    reached; ``calls`` counts the policy reads."""

    url: str = ""
    policies: dict[str, AgencyPolicy] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    down: bool = False
    calls: int = 0


@asynccontextmanager
async def serve_fake_sharing(infra: Infra) -> AsyncIterator[FakeSharing]:
    """Sharing's ``GET /v1/agencies/{ori}/policy`` (for services only) on a loopback port of its
    own (never the port of a stack that may be running), serving what the test puts in it."""
    router = APIRouter()
    fake = FakeSharing()

    @router.get("/v1/agencies/{ori}/policy")
    async def agency_policy(
        ori: str, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
    ) -> AgencyPolicyVersion:
        fake.calls += 1
        if fake.down:
            raise Unavailable("sharing is down (test)")
        if ori not in fake.policies:
            return AgencyPolicyVersion(
                agency=ori, version=0, status=PolicyStatus.DEFAULT, policy=AgencyPolicy()
            )
        version = fake.versions.get(ori, 1)
        return AgencyPolicyVersion(
            agency=ori, version=version, status=PolicyStatus.IN_FORCE, policy=fake.policies[ori]
        )

    app = create_service_app(
        service="sharing",
        settings=infra.settings("ingest"),
        description="agency policies",
        routers=[router],
        uses_database=False,
    )
    async with serve_http(app) as url:
        fake.url = url
        yield fake


@dataclass(frozen=True)
class LoopbackStack:
    """Services' settings as one stack (``loopback_stack``): ``settings`` by service, and the
    loopback port each is to listen on."""

    settings: dict[str, ServiceSettings]
    ports: dict[str, int]

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}

    def apps(self) -> dict[str, FastAPI]:
        return {name: create_app(name, settings) for name, settings in self.settings.items()}

    @asynccontextmanager
    async def serving(self, apps: Mapping[str, FastAPI] | None = None) -> AsyncIterator[dict[str, str]]:
        """Every service served on its port (uvicorn in this process), in order: ``apps`` where
        the caller has made them, else made here; yields the URLs."""
        async with AsyncExitStack() as running:
            for name, app in (apps or self.apps()).items():
                await running.enter_async_context(serve_http(app, self.ports[name]))
            yield self.urls


def loopback_stack(
    infra: Infra,
    names: Iterable[str],
    *,
    prefix: str,
    own: Mapping[str, Mapping[str, Any]] | None = None,
    **common: Any,
) -> LoopbackStack:
    """Settings for the services ``names`` as one stack, as deployed: one database migrated for
    every service (named after ``prefix``), a loopback port each that the others' ``{name}_url``
    point at, and a machine client each (``svc-{name}-{prefix}``), so that a call to another
    service carries the caller's own token; quiet logs. ``common`` are settings of every service,
    ``own[name]`` of that one alone."""
    database = infra.migrated_database(*service_packages(), prefix=prefix)
    ports = {name: free_port() for name in names}
    urls = {f"{name}_url": f"http://127.0.0.1:{port}" for name, port in ports.items()}
    settings: dict[str, ServiceSettings] = {}
    for name in ports:
        client_id = f"svc-{name}-{prefix}"
        settings[name] = infra.settings(
            name,
            client_id=client_id,
            client_secret=infra.register_client(client_id, roles=["service"]),
            database_url=database,
            **urls,
            **{"log_level": "WARNING", **common, **(own or {}).get(name, {})},
        )
    return LoopbackStack(settings=settings, ports=ports)


ServeService = Callable[..., Any]


@pytest.fixture
def serve_service(infra: Infra) -> ServeService:
    """``async with serve_service("search", **setting_overrides) as client: ...``"""

    def factory(service: str, **overrides: Any) -> Any:
        return serve(create_app(service, infra.settings(service, **overrides)))

    return factory


def unavailable(reason: str) -> NoReturn:
    """A test's outside tool (Chromium, npm, promtool) is missing: it skips, except under CI
    (``CI=true``), where every test must run and so it fails."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: CI must run this test")
    pytest.skip(reason)


def match_read(plate: str, **fields: Any) -> dict[str, Any]:
    """A read as ingest hands it to hotlist's ``POST /v1/matches`` (``MatchRead``): a new id,
    captured now in California by a camera of its own for CA0019400, no crop; ``fields`` change
    any of that."""
    return {
        "read_id": str(uuid.uuid4()),
        "plate": plate,
        "region": "CA",
        "confidence": 0.93,
        "captured_at": datetime.now(UTC).isoformat(),
        "camera_id": str(uuid.uuid4()),
        "agency": "CA0019400",
        "crop_key": None,
        **fields,
    }


def mou_draft(agency_ori: str, **fields: Any) -> dict[str, Any]:
    """A body for sharing's ``POST /v1/mous``: an MOU with ``agency_ori`` from a day ago for a
    year, for stolen vehicles, with short terms; ``fields`` change any of that."""
    now = datetime.now(UTC)
    return {
        "agency_ori": agency_ori,
        "effective_from": (now - timedelta(days=1)).isoformat(),
        "expires_at": (now + timedelta(days=365)).isoformat(),
        "purposes": ["stolen_vehicle"],
        "terms": "Authorized users only.",
        **fields,
    }


def frame_form(camera_id: str, captured_at: datetime | None = None, **fields: str) -> dict[str, str]:
    """The form a camera sends with a frame or a read (``POST /v1/frames``, ``/v1/reads``):
    captured now (or at ``captured_at``) in San Jose; ``fields`` add to it or change any of it."""
    return {
        "camera_id": camera_id,
        "captured_at": (captured_at or datetime.now(UTC)).isoformat(),
        "latitude": "37.3382",
        "longitude": "-121.8863",
        **fields,
    }


def service_principal(client_id: str, name: str) -> Principal:
    """The principal of the machine client ``client_id`` (role ``service``, no agency), as a
    service's own jobs (a purge, a scheduled audit) act."""
    return Principal(sub=client_id, name=name, agency="", roles=frozenset({"service"}), client_id=client_id)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(resp: httpx.Response) -> dict[str, Any]:
    """The response's problem document, checked to be one."""
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    body: dict[str, Any] = json.loads(resp.content)
    assert body["status"] == resp.status_code
    assert body["type"].startswith("urn:alpr:problem:")
    return body


async def in_transaction(database_url: str, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """``work`` on a session of the database, in one transaction committed when it returns."""
    engine = make_engine(database_url, application_name="alpr-tests")
    try:
        async with make_sessionmaker(engine).begin() as session:
            await work(session)
    finally:
        await engine.dispose()


def required_roles(dependant: Dependant) -> tuple[frozenset[str], bool] | None:
    """What a route's role check admits (R30): the roles and whether separation of duties holds,
    as ``require_roles`` marks its dependency, found depth first; None where no dependency checks
    roles."""
    for dep in dependant.dependencies:
        marker = getattr(dep.call, AUTHENTICATOR_ATTR, None)
        if isinstance(marker, tuple):
            return marker
        found = required_roles(dep)
        if found is not None:
            return found
    return None


def authenticates(dependant: Dependant) -> bool:
    """Whether any dependency of a route, at any depth, authenticates the caller (R30)."""
    return any(
        getattr(dep.call, AUTHENTICATOR_ATTR, False) or authenticates(dep) for dep in dependant.dependencies
    )


def stored_object(settings: ServiceSettings, key: str) -> bool:
    """Whether the object store of ``settings`` holds ``key`` in its bucket."""
    try:
        make_object_store(settings).stat_object(settings.s3_bucket, key)
    except S3Error:
        return False
    return True


Payload = TypeVar("Payload", bound=BaseModel)


class OutboxEnvelope(BaseModel, Generic[Payload]):
    """One outbox message as a test's receiver reads it: its id and its payload."""

    message_id: uuid.UUID
    payload: Payload


class OutboxBatch(BaseModel, Generic[Payload]):
    """A batch of outbox messages as a test's handler posts it to its receiver."""

    messages: list[OutboxEnvelope[Payload]]
