"""CORS on every service (issue 18): off unless ``CORS_ORIGINS`` lists origins; then a browser on
a listed origin (exact match) may send what a client and an alert stream send (``Authorization``,
``Last-Event-ID``, ``Cache-Control``, ...) and read the headers it needs, and any other origin
gets no ``Access-Control-Allow-Origin``. A preflight needs no token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from alpr_devstack.testing import SERVICE_NAMES, Infra, create_app, problem

ORIGIN = "https://console.example.org"


@asynccontextmanager
async def client_of(infra: Infra, service: str, origins: str = ORIGIN) -> AsyncIterator[httpx.AsyncClient]:
    """The service in-process, without its lifespan: CORS, the edge guard and the token check
    answer before anything connects."""
    app = create_app(service, infra.settings(service, cors_origins=origins))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _preflight(origin: str, headers: str, method: str = "GET") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_a_preflight_from_a_listed_origin_passes_without_a_token(infra: Infra, service: str) -> None:
    async with client_of(infra, service) as client:
        resp = await client.options(
            "/v1/whoami", headers=_preflight(ORIGIN, "authorization, last-event-id, cache-control")
        )
    assert resp.status_code == 200, resp.text
    assert resp.headers["access-control-allow-origin"] == ORIGIN
    allowed = {h.strip().lower() for h in resp.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "last-event-id", "cache-control", "content-type", "x-request-id"} <= allowed
    methods = {m.strip() for m in resp.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    assert "access-control-allow-credentials" not in resp.headers  # tokens, never cookies


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_a_preflight_from_another_origin_is_refused(infra: Infra, service: str) -> None:
    async with client_of(infra, service) as client:
        for origin in ("https://evil.example.com", "https://console.example.org.evil.com", "null"):
            resp = await client.options("/v1/whoami", headers=_preflight(origin, "authorization"))
            assert resp.status_code == 400, origin
            assert "access-control-allow-origin" not in resp.headers, origin


async def test_a_cross_origin_answer_is_readable_with_the_headers_a_client_needs(infra: Infra) -> None:
    """A refusal too: the browser shows the problem (and its request id), not a CORS error."""
    async with client_of(infra, "hotlist") as client:
        resp = await client.get("/v1/whoami", headers={"Origin": ORIGIN})
    assert resp.status_code == 401
    assert problem(resp)["type"] == "urn:alpr:problem:unauthenticated"
    assert resp.headers["access-control-allow-origin"] == ORIGIN
    exposed = {h.strip().lower() for h in resp.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "retry-after", "location", "www-authenticate", "link"} <= exposed


async def test_cors_is_off_by_default(infra: Infra) -> None:
    async with client_of(infra, "hotlist", origins="") as client:
        preflight = await client.options("/v1/whoami", headers=_preflight(ORIGIN, "authorization"))
        answer = await client.get("/v1/whoami", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("origins", ["*", "https://console.example.org/", "https://*.example.org", "console"])
def test_anything_but_exact_origins_stops_the_service_naming_the_setting(infra: Infra, origins: str) -> None:
    with pytest.raises(ValueError, match="^CORS_ORIGINS: ") as refused:
        create_app("hotlist", infra.settings("hotlist", cors_origins=f"{ORIGIN},{origins}"))
    assert getattr(refused.value, "refuses_start", False)
