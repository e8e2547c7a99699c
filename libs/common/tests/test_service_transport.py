"""The lean path to the other services (issue 16): a ``ServiceClient`` over the app's
``ServiceTransport`` sends what it sends over httpx's client and fails the same ways (retries on
connection errors and 502-504, then 503; a problem answer is ``ServiceCallError``); what it
does not take (a recorded span, a dict body, a URL to encode) goes through httpx's client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry import trace

from alpr_common import REQUEST_ID_HEADER, ServiceCallError, ServiceClient, Unavailable, request_id_var
from alpr_common._clients import ServiceTransport
from alpr_devstack.components import free_port
from alpr_devstack.testing import serve_http

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def _target(seen: list[dict[str, Any]], answers: list[int]) -> FastAPI:
    app = FastAPI()

    @app.api_route("/v1/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> Response:
        seen.append(
            {
                "method": request.method,
                "query": request.url.query,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": await request.body(),
            }
        )
        status = answers.pop(0) if answers else 200
        if status >= 400:
            problem = b'{"type":"urn:alpr:problem:x","title":"X","status":%d,"detail":"no"}' % status
            return Response(problem, status, media_type="application/problem+json")
        return Response(b'{"ok":true}', media_type="application/json")

    return app


@asynccontextmanager
async def _clients(url: str) -> AsyncIterator[tuple[ServiceClient, ServiceClient]]:
    transport = ServiceTransport(TIMEOUT)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            yield (
                ServiceClient(url, http=http, credentials=None),
                ServiceClient(url, http=http, credentials=None, transport=transport),
            )
    finally:
        await transport.aclose()


_SAME = ("accept", "authorization", "content-type", "content-length", "x-request-id", "host")


async def test_the_lean_path_sends_what_httpx_sends() -> None:
    seen: list[dict[str, Any]] = []
    async with serve_http(_target(seen, [])) as url, _clients(url) as (plain, lean):
        token = request_id_var.set("req-16")
        try:
            for client in (plain, lean):
                resp = await client.request("POST", "/v1/echo", content=b'{"a":1}', token="tok")
                assert resp.status_code == 200
                assert resp.json() == {"ok": True}
                resp = await client.request("GET", "/v1/echo", params={"agency": "CA 1", "at": "x&y"})
                assert resp.json() == {"ok": True}
        finally:
            request_id_var.reset(token)
    posted_plain, got_plain, posted_lean, got_lean = seen
    for plain_call, lean_call in ((posted_plain, posted_lean), (got_plain, got_lean)):
        assert lean_call["method"] == plain_call["method"]
        assert lean_call["query"] == plain_call["query"]
        assert lean_call["body"] == plain_call["body"]
        for name in _SAME:
            assert lean_call["headers"].get(name) == plain_call["headers"].get(name), name
    assert posted_lean["headers"]["authorization"] == "Bearer tok"
    assert posted_lean["headers"][REQUEST_ID_HEADER.lower()] == "req-16"
    assert got_lean["query"] == "agency=CA+1&at=x%26y"


async def test_the_lean_path_retries_then_fails_as_httpx_does() -> None:
    seen: list[dict[str, Any]] = []
    answers = [503, 502, 200, 503, 503, 503, 404]
    async with serve_http(_target(seen, answers)) as url, _clients(url) as (_, lean):
        assert (await lean.request("GET", "/v1/echo")).status_code == 200  # third try
        with pytest.raises(Unavailable) as down:
            await lean.request("GET", "/v1/echo")
        assert isinstance(down.value.__cause__, ServiceCallError)
        with pytest.raises(ServiceCallError) as refused:
            await lean.request("GET", "/v1/echo")
        assert refused.value.problem.status == 404
    assert len(seen) == 7
    # Nothing listening: httpx's own connection error, retried, then 503.
    async with _clients(f"http://127.0.0.1:{free_port()}") as (_, lean):
        with pytest.raises(Unavailable) as unreachable:
            await lean.request("GET", "/v1/echo")
        assert isinstance(unreachable.value.__cause__, httpx.ConnectError)


async def test_what_the_lean_path_does_not_take_goes_through_httpx() -> None:
    sent: list[str] = []

    class Spy(ServiceTransport):
        async def request(
            self, method: str, url: str, headers: dict[str, str], content: bytes | None
        ) -> httpx.Response:
            sent.append(url)
            return await super().request(method, url, headers, content)

    seen: list[dict[str, Any]] = []
    spy = Spy(TIMEOUT)
    async with serve_http(_target(seen, [])) as url, httpx.AsyncClient() as http:
        client = ServiceClient(url, http=http, credentials=None, transport=spy)
        await client.request("GET", "/v1/echo")
        recording = trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)
        recording.is_recording = lambda: True  # type: ignore[method-assign]
        with trace.use_span(recording):
            await client.request("GET", "/v1/echo")
        await client.request("POST", "/v1/echo", json={"a": 1})  # a dict body: httpx's encoding
        await client.request("GET", "/v1/echo?b=2")  # a URL of its own with a query: httpx's
    await spy.aclose()
    assert sent == [f"{url}/v1/echo"]
    assert [call["query"] for call in seen] == ["", "", "", "b=2"]
