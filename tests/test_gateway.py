"""One origin (issue 18, item 1): the local stack's gateway routes ``/api/<service>/...`` to the
service with the prefix stripped, passes bodies through both ways as they come (an alert
stream's first event arrives while the stream is still open), serves the merged OpenAPI
document at ``/api/openapi.json``, and answers 404 for any other prefix; the merged document
validates as OpenAPI 3.1 and each service's ``servers`` names its prefix. Given a built console,
it serves its files at every other path, and nothing outside its directory (item 6)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from openapi_spec_validator import validate

from alpr_devstack import stack as stack_module
from alpr_devstack.alpr_command import run_alpr
from alpr_devstack.components import StackError, free_port
from alpr_devstack.gateway import CONSOLE_DIR_ENV, Gateway, parse_upstreams
from alpr_devstack.openapi import MERGED_PATH, MergeError, merge_documents, prefix_of, service_documents
from alpr_devstack.stack import BUILT_CONSOLE, StackConfig, console_dir
from alpr_devstack.testing import (
    SERVICE_NAMES,
    Infra,
    audit_signing_key,
    bearer,
    loopback_stack,
    problem,
    serve_http,
)

ROOT = Path(__file__).resolve().parents[1]
# The services the gateway is shown in front of: the ledger every view is recorded on, and two
# that a console calls.
SERVED = ("audit", "search", "hotlist", "sharing")
WINDOW = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "case_number": "2026-001234"}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return service_documents()


def test_each_service_document_names_its_prefix(documents: dict[str, dict[str, Any]]) -> None:
    for name, document in documents.items():
        assert [s["url"] for s in document["servers"]] == [f"/api/{name}", "/"], name


def test_alpr_dev_openapi_writes_under_missing_folders_and_refuses_a_folder(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "400"}
    out = tmp_path / "build" / "api" / "openapi.json"
    written = run_alpr("dev", "openapi", "--out", str(out), env=env)
    assert written.returncode == 0, written.stderr
    assert json.loads(out.read_text())["openapi"] == "3.1.0"
    refused = run_alpr("dev", "openapi", "--out", str(out.parent), env=env)
    assert refused.returncode == 2
    assert f"Invalid value for '--out': {out.parent} is a folder, not a file" in refused.stderr


def test_the_merged_document_validates_with_every_operation_under_its_prefix(
    documents: dict[str, dict[str, Any]],
) -> None:
    merged = merge_documents(documents)
    validate(merged)
    assert merged["openapi"] == "3.1.0"
    expected = {prefix_of(name) + path for name, doc in documents.items() for path in doc["paths"]}
    assert set(merged["paths"]) == expected
    assert "/api/search/v1/searches" in merged["paths"]
    assert "/api/hotlist/v1/alerts/stream" in merged["paths"]
    operations = [op for item in merged["paths"].values() for op in item.values()]
    assert len(operations) == sum(len(item) for doc in documents.values() for item in doc["paths"].values())
    schemes = merged["components"]["securitySchemes"]
    assert "HTTPBearer" in schemes
    declared = {tag["name"] for tag in merged["tags"]}
    assert {tag for op in operations for tag in op["tags"]} <= declared


def test_one_name_with_two_shapes_does_not_merge(documents: dict[str, dict[str, Any]]) -> None:
    search = documents["search"]
    name = next(iter(search["components"]["schemas"]))
    other = {
        "openapi": "3.1.0",
        "info": {"title": "other", "version": "1"},
        "paths": {},
        "components": {"schemas": {name: {"type": "string", "title": "Not the same"}}},
    }
    with pytest.raises(MergeError, match=name):
        merge_documents({"search": search, "other": other})


def test_upstreams_are_name_equals_url() -> None:
    assert parse_upstreams("search=http://127.0.0.1:1, hotlist=http://127.0.0.1:2") == {
        "search": "http://127.0.0.1:1",
        "hotlist": "http://127.0.0.1:2",
    }
    with pytest.raises(ValueError, match="name=http"):
        parse_upstreams("search")


# --- the gateway in front of real services ------------------------------------------------


@dataclass
class Origin:
    url: str
    http: httpx.AsyncClient


@asynccontextmanager
async def serve_gateway(gateway: Gateway) -> AsyncIterator[str]:
    """The gateway on a loopback port (uvicorn in this process), as ``alpr dev up`` runs it."""
    port = free_port()
    config = uvicorn.Config(
        gateway,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
        server_header=False,
        date_header=False,
        proxy_headers=False,  # the edge: no client names its own address
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert not task.done(), "the gateway stopped before it started"
            assert time.monotonic() < deadline, "the gateway did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def origin(infra: Infra) -> AsyncIterator[Origin]:
    own: dict[str, dict[str, Any]] = {
        "hotlist": {"scheduler": False, "stream_keepalive_seconds": 60.0},
        "audit": {"signing_key": audit_signing_key()},
    }
    services = loopback_stack(infra, SERVED, prefix="gateway", own=own)
    async with (
        services.serving() as urls,
        serve_gateway(Gateway(urls)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        yield Origin(base, http)


async def test_a_prefix_reaches_its_service_with_the_prefix_stripped(origin: Origin, infra: Infra) -> None:
    officer = bearer(infra.mint(sub="gw-officer", roles=["investigator"]))
    resp = await origin.http.get("/api/search/v1/whoami", headers=officer)
    assert resp.status_code == 200, resp.text
    assert resp.json()["sub"] == "gw-officer"
    document = (await origin.http.get("/api/search/openapi.json")).json()
    assert document["info"]["title"] == "ALPR search"
    assert [server["url"] for server in document["servers"]] == ["/api/search", "/"]
    # The service's own answers pass through untouched, refusals included.
    anonymous = await origin.http.get("/api/hotlist/v1/whoami")
    assert anonymous.status_code == 401
    assert problem(anonymous)["type"] == "urn:alpr:problem:unauthenticated"
    assert "x-request-id" in anonymous.headers


async def test_the_public_pages_are_where_the_ingress_puts_them(origin: Origin) -> None:
    """Issue 17, item 6: with no token, each agency's policy page at sharing and the rest of
    ``/public/`` at audit, their paths kept, as the chart's Ingress and compose's nginx route."""
    listing = await origin.http.get("/public/agencies")
    assert listing.status_code == 200, listing.text
    assert listing.headers["content-type"].startswith("text/html")
    unknown = await origin.http.get("/public/agencies/ZZ0000000")
    assert unknown.status_code == 404
    assert problem(unknown)["detail"] != "No service under this path."  # sharing's answer
    figures = await origin.http.get("/public/v1/transparency")
    assert figures.status_code == 200, figures.text
    assert "policy_text" in figures.json()
    assert (await origin.http.get("/publicity")).status_code == 404  # not a public page


async def test_the_docs_page_through_the_gateway_loads_everything_under_its_prefix(origin: Origin) -> None:
    """Swagger UI at /api/search/docs: the document, scripts and sign-in callback it names are all
    under /api/search, and each answers; a prefix a client forges is not echoed into the page."""
    page = await origin.http.get("/api/search/docs")
    assert page.status_code == 200
    assert "'/api/search/openapi.json'" in page.text or '"/api/search/openapi.json"' in page.text
    for asset in ("/api/search/docs/swagger-ui-bundle.js", "/api/search/docs/swagger-ui.css"):
        assert asset in page.text
        assert (await origin.http.get(asset)).status_code == 200
    assert "/api/search/docs/oauth2-redirect" in page.text
    forged = await origin.http.get("/api/search/docs", headers={"X-Forwarded-Prefix": "/evil"})
    assert "/evil" not in forged.text


async def test_a_request_body_passes_through(origin: Origin, infra: Infra) -> None:
    officer = bearer(infra.mint(sub="gw-investigator", roles=["investigator"]))
    refused = await origin.http.post(
        "/api/search/v1/searches", json={"purpose": "immigration_enforcement", **WINDOW}, headers=officer
    )
    assert refused.status_code == 403, refused.text  # the service read the purpose in the body
    allowed = await origin.http.post(
        "/api/search/v1/searches", json={"purpose": "stolen_vehicle", **WINDOW}, headers=officer
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["search_id"]
    assert isinstance(allowed.json()["items"], list)


async def test_an_alert_stream_is_not_held_back(origin: Origin, infra: Infra) -> None:
    """The stream's opening event arrives while the stream stays open (it sends nothing more
    for a minute): a proxy that buffered the answer would show nothing until the end."""
    officer = bearer(infra.mint(sub="gw-operator", roles=["operator"]))
    started = time.monotonic()
    async with origin.http.stream(
        "GET", "/api/hotlist/v1/alerts/stream", headers={**officer, "Accept": "text/event-stream"}
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        received = b""
        async for chunk in resp.aiter_raw():
            received += chunk
            if b"\n\n" in received:
                break
        assert time.monotonic() - started < 5.0
    assert b"retry: 2000" in received, received


async def test_the_merged_document_is_served_and_other_prefixes_are_not_found(origin: Origin) -> None:
    merged = await origin.http.get(MERGED_PATH)
    assert merged.status_code == 200
    document = merged.json()
    validate(document)
    assert set(document["paths"]) >= {"/api/search/v1/whoami", "/api/hotlist/v1/alerts/stream"}
    assert not any(path.startswith("/api/ingest/") for path in document["paths"])  # not in front of it
    for path in ("/api/nope/v1/whoami", "/v1/whoami", "/api", "/api/searchx/v1/whoami"):
        resp = await origin.http.get(path)
        assert resp.status_code == 404, path
        assert problem(resp)["type"] == "urn:alpr:problem:not-found"


async def test_headers_query_and_a_streamed_body_reach_the_upstream_as_sent() -> None:
    """What the upstream sees: the path without the prefix and the raw query, the client's
    headers less hop-by-hop ones, the X-Forwarded ones, and a body sent in pieces, whole."""
    echo = FastAPI()

    @echo.api_route("/{path:path}", methods=["GET", "POST"])
    async def show(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {
            "path": request.scope["path"],
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "headers": {k: v for k, v in request.headers.items()},
            "length": len(body),
            "sha": hashlib.sha256(body).hexdigest(),
        }

    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"x" * 16384

    async with serve_http(echo) as upstream, serve_gateway(Gateway({"echo": upstream})) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            resp = await http.post(
                "/api/echo/v1/things%2Fa?b=1&c=%20",
                content=pieces(),
                headers={
                    "Connection": "keep-alive, X-Private",
                    "X-Private": "hop",
                    "X-Keep": "end-to-end",
                    "X-Forwarded-For": "203.0.113.9",  # a client's own claim: not passed on
                },
            )
    assert resp.status_code == 200, resp.text
    seen = resp.json()
    assert seen["path"] == "/v1/things/a"
    assert seen["raw_path"] == "/v1/things%2Fa"  # as the client wrote it
    assert seen["query"] == "b=1&c=%20"
    assert seen["length"] == 64 * 16384
    assert seen["sha"] == hashlib.sha256(b"x" * 64 * 16384).hexdigest()
    headers = seen["headers"]
    assert headers["x-keep"] == "end-to-end"
    assert "x-private" not in headers  # named by Connection: hop-by-hop
    assert headers["x-forwarded-prefix"] == "/api/echo"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == base.removeprefix("http://")
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["host"] == upstream.removeprefix("http://")


async def test_an_answer_the_upstream_breaks_off_is_cut_for_the_client_too() -> None:
    """Not ended as if whole: the client sees the connection close mid-answer."""
    upstream_app = FastAPI()

    @upstream_app.get("/v1/export")
    async def export() -> StreamingResponse:
        async def rows() -> AsyncIterator[bytes]:
            yield b'{"rows": ['
            raise RuntimeError("the upstream fails mid-answer")

        return StreamingResponse(rows(), media_type="application/json")

    async with serve_http(upstream_app) as upstream, serve_gateway(Gateway({"flaky": upstream})) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/api/flaky/v1/export")
            assert (await http.get("/healthz")).status_code == 200  # the gateway carries on


def test_compose_has_a_gateway_with_every_prefix_and_no_buffering() -> None:
    """docker-compose's one origin: nginx (deploy/gateway/nginx.conf) on 127.0.0.1:8088, after
    the six services are healthy, routing each prefix to its service, streaming both ways, and
    serving the merged document that `make openapi` writes."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    gateway = compose["services"]["gateway"]
    assert gateway["ports"] == ["${ALPR_BIND_ADDRESS:-127.0.0.1}:8088:8080"]
    assert {name: dep["condition"] for name, dep in gateway["depends_on"].items()} == dict.fromkeys(
        SERVICE_NAMES, "service_healthy"
    )
    assert "./deploy/gateway/nginx.conf:/etc/nginx/nginx.conf:ro" in gateway["volumes"]
    assert "./build:/srv/alpr:ro" in gateway["volumes"]
    conf = (ROOT / "deploy" / "gateway" / "nginx.conf").read_text()
    routed = re.search(r"location ~ \^/api/\(\?<service>([a-z|]+)\)", conf)
    assert routed is not None
    assert set(routed.group(1).split("|")) == set(SERVICE_NAMES)
    assert "rewrite ^/api/[a-z]+/?(.*)$ /$1 break;" in conf  # the prefix stripped
    assert "proxy_pass http://$service:8080;" in conf
    for directive in ("proxy_buffering off;", "proxy_request_buffering off;", "pid /tmp/nginx.pid;"):
        assert directive in conf, directive
    assert "$request " not in conf  # no access log line with a query string (stream tickets)
    assert "location = /api/openapi.json" in conf
    # The public pages (issue 17): sharing's policy pages, audit's the rest of /public/.
    assert re.search(r"location /public/agencies \{\s*set \$public sharing;", conf)
    assert re.search(r"location /public/ \{\s*set \$public audit;", conf)


def test_every_service_has_a_prefix() -> None:
    assert {prefix_of(name) for name in SERVICE_NAMES} == {
        "/api/ingest",
        "/api/recognition",
        "/api/hotlist",
        "/api/search",
        "/api/audit",
        "/api/sharing",
    }


# --- the console on the same origin (issue 18, item 6) --------------------------------------


async def _call(app: Gateway, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request straight into the ASGI app, its path exactly as given (an HTTP client would
    remove the dot segments before sending)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8080")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    sent: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


async def test_the_console_is_served_beside_the_api_and_nothing_outside_its_directory(
    tmp_path: Path,
) -> None:
    console = tmp_path / "dist"
    (console / "assets").mkdir(parents=True)
    (console / "index.html").write_text("<!doctype html><title>console</title>")
    (console / "assets" / "index-abc123.js").write_text("console.log('hi');")
    (tmp_path / "secret.txt").write_text("not the console's")
    (tmp_path / "dist-other").mkdir()
    (tmp_path / "dist-other" / "x.txt").write_text("a sibling directory's")
    (console / "escape.txt").symlink_to(tmp_path / "secret.txt")
    gateway = Gateway({}, console_dir=console)

    status, headers, body = await _call(gateway, "GET", "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"<title>console</title>" in body
    assert headers["cache-control"] == "no-cache"  # a new build is picked up at once
    assert headers["referrer-policy"] == "no-referrer"  # the sign-in code is never sent on
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = await _call(gateway, "GET", "/assets/index-abc123.js")
    assert status == 200
    assert headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}
    assert body == b"console.log('hi');"
    assert (await _call(gateway, "HEAD", "/index.html"))[0] == 200

    for path in (
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/..%2fsecret.txt",
        "/escape.txt",  # a link inside to a file outside
        "/../dist-other/x.txt",  # a sibling whose name starts like the directory's
        "//etc/passwd",
        "/missing.js",
        "/api",
        "/api/nope/v1/whoami",  # /api stays the gateway's, console or not
    ):
        status, headers, body = await _call(gateway, "GET", path)
        assert status == 404, path
        assert headers["content-type"] == "application/problem+json", path
        assert json.loads(body)["type"] == "urn:alpr:problem:not-found", path
        assert b"not the console's" not in body, path
        assert b"sibling" not in body, path
    status, headers, body = await _call(gateway, "POST", "/")
    assert status == 405
    assert json.loads(body)["type"] == "urn:alpr:problem:method-not-allowed"
    assert (await _call(gateway, "GET", "/healthz"))[0] == 200


async def test_without_a_console_every_path_outside_api_is_not_found(tmp_path: Path) -> None:
    status, headers, _ = await _call(Gateway({}), "GET", "/")
    assert status == 404
    assert headers["content-type"] == "application/problem+json"


def test_the_stack_serves_a_built_console_and_signs_in_on_its_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StackConfig(data_dir=tmp_path, port_offset=100)
    assert config.console_redirect_uris == ["http://127.0.0.1:8180/", "http://localhost:8180/"]
    monkeypatch.setenv(CONSOLE_DIR_ENV, str(tmp_path))
    assert console_dir() == tmp_path.resolve()
    monkeypatch.setenv(CONSOLE_DIR_ENV, "")
    assert console_dir() is None  # switched off
    monkeypatch.setenv(CONSOLE_DIR_ENV, str(tmp_path / "missing"))
    with pytest.raises(StackError, match="not a directory"):
        console_dir()
    # Unset: the checkout's build, once there is one.
    assert BUILT_CONSOLE == ROOT / "apps" / "console" / "dist"
    monkeypatch.delenv(CONSOLE_DIR_ENV)
    built = tmp_path / "dist"
    monkeypatch.setattr(stack_module, "BUILT_CONSOLE", built)
    assert console_dir() is None
    built.mkdir()
    (built / "index.html").write_text("<!doctype html>")
    assert console_dir() == built
