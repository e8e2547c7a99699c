"""Fixtures of the hostile-input suite: the six services, real and on loopback ports, sharing one
database, one bucket and the test issuer, each with its own client credentials and the others'
URLs, served from an event loop of their own in a background thread (the fuzzer's calls are
synchronous), and never able to reach an address outside this machine."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from alpr_common import AUTHENTICATOR_ATTR, Role, ensure_bucket, make_object_store
from alpr_devstack.testing import SERVICE_NAMES, Infra, LoopbackStack, audit_signing_key, loopback_stack

START_TIMEOUT_S = 120.0
# Each service's run: what it tried (cases, answers), printed at the end of the pytest run.
SUMMARIES: list[str] = []
CAMERA_CLIENT = "cam-fuzz"


class ServerErrors(logging.Handler):
    """Every error the services log (an exception after a stream's 200 has started is no
    500 a client can see, but it is logged as ``unhandled_error``), as one line each."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        event: dict[str, Any] = record.msg if isinstance(record.msg, dict) else {"event": record.getMessage()}
        if str(event.get("event", "")).startswith("Exception in ASGI application"):
            return  # uvicorn's copy of an unhandled_error already recorded
        line = f"{record.name}: {event.get('event')} {event.get('path', '')}".rstrip()
        for chain in event.get("exception", []):
            for exc in [chain, *(sub for inner in chain.get("exceptions", []) for sub in inner)]:
                value = (str(exc.get("exc_value", "")).splitlines() or [""])[0][:300]
                line += f"\n    {exc.get('exc_type')}: {value}"
                line += f" at {_project_frame(exc.get('frames') or [])}"
        extra = {k: v for k, v in event.items() if k not in _LOG_NOISE}
        if extra:
            line += f"\n    {extra}"
        with self._lock:
            self._lines.append(line)

    def take(self) -> list[str]:
        with self._lock:
            lines, self._lines = self._lines, []
        return list(dict.fromkeys(lines))


_LOG_NOISE = {"event", "path", "exception", "level", "logger", "timestamp", "service", "request_id"}


def _project_frame(frames: list[dict[str, Any]]) -> str:
    """The innermost frame in the project's own code (else the innermost), as file:line."""
    ours = [f for f in frames if "site-packages" not in str(f.get("filename", ""))]
    frame = (ours or frames or [{}])[-1]
    return f"{frame.get('filename', '?')}:{frame.get('lineno', '?')} ({frame.get('name', '?')})"


@dataclass
class FuzzStack:
    """Where each service listens, and how to get a token of any set of roles."""

    infra: Infra
    urls: dict[str, str]
    # (service, METHOD, path template) -> the roles the route admits (empty: any token)
    route_roles: dict[tuple[str, str, str], tuple[str, ...]]
    server_errors: ServerErrors
    # A registered camera, so a camera's uploads can get past the camera check (the fuzzer
    # puts its id into about half of the requests that name a camera).
    camera_id: str = ""
    summaries: list[str] = field(default_factory=lambda: SUMMARIES)
    _tokens: dict[tuple[str, ...], str] = field(default_factory=dict)

    def token(self, roles: tuple[str, ...]) -> str:
        """A token holding ``roles`` (current training; one per role set, minted once); a
        camera's is bound to the registered camera's client."""
        key = tuple(sorted(roles))
        if key not in self._tokens:
            self._tokens[key] = self.infra.mint(
                sub=f"fuzz-{'-'.join(key) or 'any'}",
                name="Fuzz Tester",
                roles=list(key),
                ttl=3600,
                client_id=CAMERA_CLIENT if Role.CAMERA in key else None,
            )
        return self._tokens[key]

    def register_camera(self) -> None:
        resp = httpx.post(
            f"{self.urls['ingest']}/v1/cameras",
            json={"name": "Fuzz camera", "kind": "mobile", "client_id": CAMERA_CLIENT},
            headers={"Authorization": f"Bearer {self.token((Role.ALPR_ADMIN,))}"},
            timeout=30,
        )
        resp.raise_for_status()
        self.camera_id = str(resp.json()["id"])


def _marker(dependant: Dependant) -> object:
    for dep in dependant.dependencies:
        marker = getattr(dep.call, AUTHENTICATOR_ATTR, None)
        if marker is None:
            marker = _marker(dep)
        if marker is not None:
            return marker
    return None


def suitable_roles(marker: object) -> tuple[str, ...]:
    """Every role a route admits, less alpr_admin where it would break separation of duties."""
    if not isinstance(marker, tuple):
        return ()
    allowed, separation_of_duties = marker
    roles = set(allowed)
    if separation_of_duties and {Role.AUDITOR, Role.ALPR_ADMIN} <= roles:
        roles.discard(Role.ALPR_ADMIN)
    return tuple(sorted(roles))


def route_roles(service: str, app: FastAPI) -> dict[tuple[str, str, str], tuple[str, ...]]:
    out: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for ctx in iter_route_contexts(app.router.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                out[(service, method, ctx.path or route.path)] = suitable_roles(_marker(route.dependant))
    return out


def _loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only() -> Iterator[None]:
    """No name lookup or connection beyond loopback while the fuzzer runs: it stores arbitrary
    URLs (hotlist sources and webhooks, partner agencies' webhooks), and a service that calls
    one must fail as if it were unreachable, never send a packet off this machine."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else host):
            raise socket.gaierror(socket.EAI_NONAME, "fuzz run: only loopback names resolve")
        return real_getaddrinfo(host, *args, **kwargs)

    def refuse(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise ConnectionRefusedError(f"fuzz run: no connection to {address[0]!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        refuse(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        refuse(sock, address)
        return real_connect_ex(sock, address)

    patch = pytest.MonkeyPatch()
    patch.setattr(socket, "getaddrinfo", getaddrinfo)
    patch.setattr(socket.socket, "connect", connect)
    patch.setattr(socket.socket, "connect_ex", connect_ex)
    try:
        yield
    finally:
        patch.undo()


class _ServiceThread:
    """Runs the six apps on an event loop in a thread of their own until ``stop``."""

    def __init__(self, services: LoopbackStack, apps: dict[str, FastAPI]) -> None:
        self.services = services
        self.apps = apps
        self.started = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="fuzz-services", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.error = exc
            self.started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self.services.serving(self.apps):
            self.started.set()
            await self._stop.wait()

    def start(self) -> None:
        self._thread.start()
        if not self.started.wait(START_TIMEOUT_S):
            raise RuntimeError("the services did not start in time")
        if self.error is not None:
            raise RuntimeError("a service failed to start") from self.error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


def _wait_ready(urls: dict[str, str]) -> None:
    """Every service answers /readyz 200 (recognition loads its model first), or raise."""
    deadline = time.monotonic() + START_TIMEOUT_S
    pending = dict(urls)
    with httpx.Client(timeout=5) as http:
        while pending:
            for name, url in list(pending.items()):
                try:
                    if http.get(f"{url}/readyz").status_code == 200:
                        del pending[name]
                except httpx.TransportError:
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready in time: {sorted(pending)}")
            if pending:
                threading.Event().wait(0.1)


@pytest.fixture(scope="module")
def fuzz_stack(infra: Infra) -> Iterator[FuzzStack]:
    bucket = f"fuzz-{uuid.uuid4().hex[:12]}"
    own: dict[str, dict[str, Any]] = {
        "audit": {"signing_key": audit_signing_key(), "checkpoint_poll_seconds": 3600},
        "recognition": {"worker_enabled": False},
        # Streams end quickly, so a fuzzed GET of one answers within the request timeout: each
        # stream answered 200 lasts this long (1 s made ~80 of them 14 s of the hotlist run),
        # with a keepalive or two in it.
        "hotlist": {"scheduler": False, "stream_max_seconds": 0.25, "stream_keepalive_seconds": 0.1},
    }
    services = loopback_stack(infra, SERVICE_NAMES, prefix="fuzz", own=own, s3_bucket=bucket)
    ensure_bucket(make_object_store(services.settings["search"]), bucket)
    apps = services.apps()
    roles: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for name, app in apps.items():
        roles.update(route_roles(name, app))
    errors = ServerErrors()
    logging.getLogger().addHandler(errors)  # after the apps are made: their logging setup replaces handlers
    with loopback_only():
        running = _ServiceThread(services, apps)
        running.start()
        try:
            _wait_ready(services.urls)
            stack = FuzzStack(infra=infra, urls=services.urls, route_roles=roles, server_errors=errors)
            stack.register_camera()
            yield stack
        finally:
            running.stop()
            logging.getLogger().removeHandler(errors)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARIES:
        terminalreporter.section("hostile-input suite (schemathesis)")
        for line in SUMMARIES:
            terminalreporter.write_line(line)
