"""The local stack's one origin (issue 18, item 1): a small reverse proxy (an ASGI app, run by
uvicorn) that routes ``/api/<service>/...`` to that service with the prefix stripped, streams
request and response bodies as they come (an alert stream's events are not held back), and
serves the platform's merged OpenAPI document at ``/api/openapi.json``, and, given a built
console (``apps/console/dist``, issue 18 item 6), serves its files at every other path, so the
console, its API and its sign-in callback share one origin. The public pages (no token) are
where the chart's Ingress and compose's nginx put them: ``/public/agencies[/{ori}]`` (each
agency's published policy, issue 17) at sharing, the rest of ``/public/`` at audit, their paths
as they are.

Headers pass through less the hop-by-hop ones (RFC 9110 7.6.1); ``X-Forwarded-For``,
``-Proto``, ``-Host`` and ``-Prefix`` are set. The services' uvicorn trusts the forwarded
client address from 127.0.0.1 (its ``--proxy-headers`` default). Development only: Helm and
compose route with an Ingress and nginx."""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from .openapi import MERGED_PATH, MergeError, merge_documents

UPSTREAMS_ENV = "ALPR_GATEWAY_UPSTREAMS"  # "ingest=http://127.0.0.1:8001,search=..."
CONSOLE_DIR_ENV = "ALPR_GATEWAY_CONSOLE_DIR"  # a built console (index.html and assets/); unset: none
HEALTH_PATH = "/healthz"
_ROUTE = re.compile(r"^/api/(?P<service>[a-z][a-z0-9-]*)(?P<rest>/.*)?$")


def public_service(path: str) -> str | None:
    """The service of a public page, whose path it keeps: the longer prefix wins, as in the
    chart's Ingress (issue 17, item 6)."""
    if path == "/public/agencies" or path.startswith("/public/agencies/"):
        return "sharing"
    if path.startswith("/public/"):
        return "audit"
    return None


# RFC 9110 7.6.1, plus the Host the upstream gets from its own URL.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
# Headers on the console's files: never framed or sniffed, and no Referer, which would carry the
# authorization code the console is given back in its address bar on sign-in.
_CONSOLE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# A stream may be quiet between keep-alives for long; other answers are bounded.
_TIMEOUT = httpx.Timeout(connect=5.0, read=120.0, write=60.0, pool=10.0)
_STREAM_TIMEOUT = httpx.Timeout(connect=5.0, read=None, write=60.0, pool=10.0)


class Gateway:
    """``upstreams``: service name -> its base URL (``http://127.0.0.1:8004``); ``console_dir``:
    a directory of static files served at every path outside ``/api`` (``/`` is its
    ``index.html``), none of them outside it (Starlette's ``StaticFiles`` resolves each path and
    refuses one that leaves the directory, a symbolic link's target included)."""

    def __init__(self, upstreams: Mapping[str, str], console_dir: Path | None = None) -> None:
        self.upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}
        self._client: httpx.AsyncClient | None = None
        self._merged: bytes | None = None
        self._console = StaticFiles(directory=console_dir, html=True) if console_dir is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # no websockets on the platform
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        path: str = scope["path"]
        if path == HEALTH_PATH:
            await _answer(send, 200, {"status": "ok"}, "application/json")
        elif path == MERGED_PATH:
            await self._openapi(send)
        elif (match := _ROUTE.match(path)) and match["service"] in self.upstreams:
            await self._forward(scope, receive, send, match["service"], match["rest"] or "")
        elif (public := public_service(path)) is not None and public in self.upstreams:
            await self._forward(scope, receive, send, public, path, prefix="")
        elif self._console is not None and path != "/api" and not path.startswith("/api/"):
            await self._static(self._console, scope, receive, send)
        else:
            await _problem(send, 404, "not-found", "Not Found", "No service under this path.")

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # served without its lifespan (a test's ASGI transport)
            self._client = httpx.AsyncClient(timeout=_TIMEOUT, follow_redirects=False, trust_env=False)
        return self._client

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _static(self, files: StaticFiles, scope: Scope, receive: Receive, send: Send) -> None:
        """A console file; what is not one (or a method other than GET and HEAD) is a problem
        answer like the gateway's others."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *_CONSOLE_HEADERS]
                if not scope["path"].startswith("/assets/"):
                    # index.html names the build's hashed assets: always asked again (an ETag
                    # makes that a 304), while assets/ keep their own caching headers.
                    headers.append((b"cache-control", b"no-cache"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await files(scope, receive, send_with_headers)
        except HTTPException as exc:
            if exc.status_code == 405:
                await _problem(send, 405, "method-not-allowed", "Method Not Allowed", "Only GET and HEAD.")
            else:
                await _problem(send, 404, "not-found", "Not Found", "No service or console file here.")

    async def _openapi(self, send: Send) -> None:
        """The merged document from the running services' own, built once all answered."""
        if self._merged is None:
            documents: dict[str, dict[str, Any]] = {}
            for name, url in self.upstreams.items():
                try:
                    resp = await self.client.get(f"{url}/openapi.json")
                    resp.raise_for_status()
                    documents[name] = resp.json()
                except (httpx.HTTPError, ValueError) as exc:
                    detail = f"The {name} service's document could not be read ({type(exc).__name__})."
                    await _problem(send, 502, "bad-gateway", "Bad Gateway", detail)
                    return
            try:
                self._merged = json.dumps(merge_documents(documents)).encode()
            except MergeError as exc:
                await _problem(send, 502, "bad-gateway", "Bad Gateway", f"The documents disagree: {exc}")
                return
        await _send_body(send, 200, self._merged, "application/json")

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, service: str, rest: str, prefix: str | None = None
    ) -> None:
        """To ``service``: the path less ``prefix`` (``/api/<service>`` unless given; "" keeps it)."""
        prefix = f"/api/{service}" if prefix is None else prefix
        # The rest of the path as the client wrote it (its escapes kept), else re-escaped.
        raw_path: bytes = scope.get("raw_path") or b""
        if raw_path.startswith(prefix.encode()):
            rest = raw_path[len(prefix) :].decode("latin-1")
        else:
            rest = quote(rest)
        target = self.upstreams[service] + (rest or "/")
        query: bytes = scope.get("query_string", b"")
        if query:
            target += "?" + query.decode("latin-1")
        headers = _request_headers(scope, prefix)
        streaming = any(name == "accept" and "text/event-stream" in value for name, value in headers)
        request = self.client.build_request(
            scope["method"],
            target,
            headers=headers,
            content=_body(receive) if _has_body(scope) else None,
            timeout=_STREAM_TIMEOUT if streaming else _TIMEOUT,
        )
        try:
            upstream = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await _problem(
                send, 504, "gateway-timeout", "Gateway Timeout", f"The {service} service did not answer."
            )
            return
        except httpx.HTTPError:
            await _problem(send, 502, "bad-gateway", "Bad Gateway", f"The {service} service is unreachable.")
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": upstream.status_code,
                    "headers": _response_headers(upstream.headers.raw),
                }
            )
            async with anyio.create_task_group() as tasks:
                # A client that goes away ends the upstream request (an open stream included).
                tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
                async for chunk in upstream.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                tasks.cancel_scope.cancel()
        except* httpx.HTTPError:
            # The upstream broke off mid-answer: the client's answer is left unfinished, so
            # uvicorn closes the connection and the client sees it cut, not a shorter whole.
            pass
        finally:
            await upstream.aclose()


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            return True
    return False


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The client's body, passed on as it arrives (never read whole into memory)."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise httpx.ReadError("the client went away while sending its body")
        body: bytes = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[str]:
    """The headers a ``Connection`` header names, hop-by-hop as well."""
    named: set[str] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            named.update(t.strip().lower() for t in value.decode("latin-1").split(",") if t.strip())
    return named


def _request_headers(scope: Scope, prefix: str) -> list[tuple[str, str]]:
    raw: list[tuple[bytes, bytes]] = list(scope["headers"])
    # The gateway is the edge: a client's own X-Forwarded-* are not passed on (the services'
    # uvicorn trusts them from 127.0.0.1, so a client could name any address otherwise).
    forwarded = {
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-forwarded-prefix",
    }
    drop = HOP_BY_HOP | _connection_tokens(raw) | forwarded
    headers: list[tuple[str, str]] = []
    host = ""
    for name_b, value_b in raw:
        name, value = name_b.decode("latin-1").lower(), value_b.decode("latin-1")
        if name == "host":
            host = value
        if name not in drop:
            headers.append((name, value))
    client = scope.get("client")
    if client:
        headers.append(("x-forwarded-for", str(client[0])))
    headers.append(("x-forwarded-proto", str(scope.get("scheme", "http"))))
    if host:
        headers.append(("x-forwarded-host", host))
    headers.append(("x-forwarded-prefix", prefix))
    return headers


def _response_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    drop = (HOP_BY_HOP - {"host"}) | _connection_tokens(raw)
    return [(name.lower(), value) for name, value in raw if name.decode("latin-1").lower() not in drop]


async def _send_body(send: Send, status: int, body: bytes, media_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _answer(send: Send, status: int, body: dict[str, Any], media_type: str) -> None:
    await _send_body(send, status, json.dumps(body).encode(), media_type)


async def _problem(send: Send, status: int, kind: str, title: str, detail: str) -> None:
    """An RFC 9457 answer, as the services give theirs."""
    body = {"type": f"urn:alpr:problem:{kind}", "title": title, "status": status, "detail": detail}
    await _answer(send, status, body, "application/problem+json")


def parse_upstreams(value: str) -> dict[str, str]:
    """``ALPR_GATEWAY_UPSTREAMS``: ``name=url`` pairs, comma separated."""
    upstreams: dict[str, str] = {}
    for part in value.split(","):
        if part.strip():
            name, sep, url = part.partition("=")
            if not sep or not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"{UPSTREAMS_ENV}: {part!r} is not name=http(s)://host:port")
            upstreams[name.strip()] = url.strip()
    return upstreams


def app_from_env() -> Gateway:
    """``uvicorn --factory alpr_devstack.gateway:app_from_env`` (``alpr dev up`` runs it):
    ``ALPR_GATEWAY_UPSTREAMS``, and ``ALPR_GATEWAY_CONSOLE_DIR`` (unset or empty: no console)."""
    console = os.environ.get(CONSOLE_DIR_ENV, "")
    return Gateway(parse_upstreams(os.environ[UPSTREAMS_ENV]), Path(console) if console else None)
