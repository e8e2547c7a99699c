"""One-time stream tickets (issue 18): a browser's EventSource cannot send a bearer token, so it
opens the alert stream with a ticket bought with one. A ticket lasts 30 seconds, opens the stream
once (on any replica: it lives in the database), stands for its user and agency, opens nothing
else, and every refused ticket is the same 401 (R27). The stream resumes across origins."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from hotlist_support import AGENCY, HotlistStack, SseReader, read

from alpr_devstack.testing import problem, serve_http
from alpr_hotlist.app import create_app

ORIGIN = "https://console.example.org"
OTHER_AGENCY = "CA0077700"  # no alerts of its own
STREAM = "/v1/alerts/stream"
TICKETS = "/v1/alerts/stream-tickets"


async def ticket_for(stack: HotlistStack, headers: dict[str, str]) -> str:
    resp = await stack.client.post(TICKETS, headers=headers)
    assert resp.status_code == 201, resp.text
    ticket: str = resp.json()["ticket"]
    return ticket


def digest(ticket: str) -> bytes:
    return hashlib.sha256(ticket.encode()).digest()


def _same_refusal(stream: Stream) -> dict[str, Any]:
    """The refusal of a ticket, less what differs by request (R27: they must all look alike)."""
    resp = stream.resp
    assert resp.status_code == 401, resp.text
    body = problem(resp)
    assert body["type"] == "urn:alpr:problem:unauthenticated"
    body.pop("request_id", None)
    return {**body, "www-authenticate": resp.headers.get("www-authenticate")}


@dataclass
class Stream:
    resp: httpx.Response
    lines: AsyncIterator[str]

    @property
    def status_code(self) -> int:
        return self.resp.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.resp.headers


@asynccontextmanager
async def opened(
    client: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str] | None = None
) -> AsyncIterator[Stream]:
    """The stream, once it has fixed its starting position (its `: stream open` comment), or a
    refusal (read whole)."""
    async with client.stream("GET", STREAM, params=params, headers=headers or {}) as resp:
        lines = resp.aiter_lines()
        if resp.status_code == 200:
            async with asyncio.timeout(10):
                async for line in lines:
                    if line.startswith(": stream open"):
                        break
        else:
            await resp.aread()
        yield Stream(resp, lines)


async def events(stream: Stream, want: int, deadline_s: float = 5.0) -> list[dict[str, Any]]:
    """The next ``want`` events of an open stream; fewer when a keep-alive comes first (the
    stream sends one only once it holds nothing more) or the deadline passes."""
    found: list[dict[str, Any]] = []
    reader = SseReader()
    try:
        async with asyncio.timeout(deadline_s):
            async for line in stream.lines:
                if line.startswith(": keep-alive"):
                    return found
                if (event := reader.feed(line)) is not None:
                    found.append(event)
                    if len(found) == want:
                        return found
    except TimeoutError:
        pass
    return found


@pytest.fixture
async def replica(stack: HotlistStack) -> AsyncIterator[httpx.AsyncClient]:
    """A second hotlist replica on the same database, serving browsers of ``ORIGIN`` (CORS)."""
    settings = stack.settings.model_copy(update={"cors_origins": ORIGIN})
    async with (
        serve_http(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


class TestIssue:
    async def test_anonymous_is_401(self, stack: HotlistStack) -> None:
        resp = await stack.client.post(TICKETS)
        assert resp.status_code == 401
        assert problem(resp)["type"] == "urn:alpr:problem:unauthenticated"

    async def test_only_the_streams_readers_get_one_R3(self, stack: HotlistStack) -> None:
        resp = await stack.client.post(TICKETS, headers=stack.as_("aud-1", "auditor"))
        assert resp.status_code == 403
        assert problem(resp)["type"] == "urn:alpr:problem:forbidden"

    async def test_a_ticket_lasts_30_seconds_is_not_cached_and_is_stored_only_as_a_hash(
        self, stack: HotlistStack
    ) -> None:
        resp = await stack.client.post(TICKETS, headers=stack.as_("op-1", "operator"))
        assert resp.status_code == 201
        assert resp.headers["cache-control"] == "no-store"
        body = resp.json()
        assert body["expires_in"] == 30
        [row] = await stack.sql(
            "SELECT ticket_hash, sub, agency, roles, expires_at - created_at AS ttl, expires_at "
            "FROM hotlist.stream_tickets WHERE ticket_hash = :h",
            h=digest(body["ticket"]),
        )
        assert row.ttl.total_seconds() == 30
        assert row.expires_at == datetime.fromisoformat(body["expires_at"])
        assert (row.sub, row.agency, row.roles) == ("op-1", AGENCY, ["operator"])
        [(dump,)] = await stack.sql(
            "SELECT row_to_json(t)::text FROM hotlist.stream_tickets t WHERE ticket_hash = :h",
            h=digest(body["ticket"]),
        )
        assert body["ticket"] not in dump


class TestRedeem:
    async def test_a_ticket_opens_the_stream_once(self, stack: HotlistStack) -> None:
        ticket = await ticket_for(stack, stack.as_("op-1", "operator"))
        async with opened(stack.client, {"ticket": ticket}) as first:
            assert first.status_code == 200
            assert first.headers["content-type"].startswith("text/event-stream")
        async with opened(stack.client, {"ticket": ticket}) as second:
            assert second.status_code == 401
        assert (
            await stack.sql("SELECT 1 FROM hotlist.stream_tickets WHERE ticket_hash = :h", h=digest(ticket))
            == []
        )

    async def test_a_ticket_expires_30_seconds_after_its_issue(self, stack: HotlistStack) -> None:
        """The clock is the database's (one for every replica): the tickets age, not the clock."""
        op = stack.as_("op-1", "operator")
        almost, expired = await ticket_for(stack, op), await ticket_for(stack, op)
        for ticket, seconds in ((almost, 25), (expired, 30)):
            await stack.sql(
                "UPDATE hotlist.stream_tickets SET created_at = created_at - make_interval(secs => :s), "
                "expires_at = expires_at - make_interval(secs => :s) WHERE ticket_hash = :h",
                s=seconds,
                h=digest(ticket),
            )
        async with opened(stack.client, {"ticket": expired}) as resp:
            assert resp.status_code == 401
        async with opened(stack.client, {"ticket": almost}) as resp:
            assert resp.status_code == 200

    async def test_refused_tickets_look_alike_R27(self, stack: HotlistStack) -> None:
        """Unknown, malformed, used, expired, or presented with another user's or another agency's
        token: one answer. A ticket is used up by any attempt, refused or not."""
        op = stack.as_("op-1", "operator")
        used = await ticket_for(stack, op)
        async with opened(stack.client, {"ticket": used}) as resp:
            assert resp.status_code == 200
        expired = await ticket_for(stack, op)
        await stack.sql(
            "UPDATE hotlist.stream_tickets SET expires_at = created_at WHERE ticket_hash = :h",
            h=digest(expired),
        )
        mine, theirs = await ticket_for(stack, op), await ticket_for(stack, op)
        refusals = []
        for params, headers in (
            ({"ticket": "x" * 43}, {}),
            ({"ticket": ""}, {}),
            ({"ticket": "é" * 500}, {}),
            ({"ticket": used}, {}),
            ({"ticket": expired}, {}),
            ({"ticket": mine}, stack.as_("op-2", "operator")),  # another user's ticket
            ({"ticket": theirs}, stack.as_("op-1", "operator", agency=OTHER_AGENCY)),  # another agency's
            ({"ticket": mine}, {}),  # used up by the refused attempt
        ):
            async with opened(stack.client, params, headers) as resp:
                refusals.append(_same_refusal(resp))
        assert all(r == refusals[0] for r in refusals), refusals
        own = await ticket_for(stack, op)
        async with opened(stack.client, {"ticket": own}, op) as resp:  # beside its own user's token
            assert resp.status_code == 200

    async def test_a_ticket_opens_no_other_route(self, stack: HotlistStack) -> None:
        op = stack.as_("op-1", "operator")
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7TKT001")
        await stack.match(read("7TKT001"))
        [alert] = [a for a in await stack.alerts() if a["plate"] == "7TKT001"]
        ticket = await ticket_for(stack, op)
        for method, path in (
            ("GET", "/v1/alerts"),
            ("GET", f"/v1/alerts/{alert['id']}"),
            ("POST", f"/v1/alerts/{alert['id']}/transitions"),
            ("POST", TICKETS),
            ("GET", f"/v1/hotlists/{hotlist_id}/entries"),
            ("GET", "/v1/whoami"),
        ):
            body = {"to": "tentative_hit"} if method == "POST" and "transitions" in path else None
            resp = await stack.client.request(method, path, params={"ticket": ticket}, json=body)
            assert resp.status_code == 401, (method, path, resp.text)
        assert [a["state"] for a in await stack.alerts() if a["id"] == alert["id"]] == ["alert"]
        async with opened(stack.client, {"ticket": ticket}) as stream:  # still unused
            assert stream.status_code == 200

    async def test_training_is_checked_when_the_ticket_is_used_R2(self, stack: HotlistStack) -> None:
        ticket = await ticket_for(stack, stack.as_("op-1", "operator"))
        await stack.sql(
            "UPDATE hotlist.stream_tickets SET training_expires = current_date - 1 WHERE ticket_hash = :h",
            h=digest(ticket),
        )
        async with opened(stack.client, {"ticket": ticket}) as resp:
            assert resp.status_code == 403
            assert problem(resp.resp)["type"] == "urn:alpr:problem:training-required"


class TestStreamWithATicket:
    async def test_a_new_alert_reaches_it_and_is_on_the_ledger_as_the_tickets_user(
        self, stack: HotlistStack
    ) -> None:
        """Issue 16 with a ticket's principal: the opening and each delivered alert are recorded
        as the user (roles as at issue) before they leave."""
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7TKT002")
        ticket = await ticket_for(stack, stack.as_("op-tkt-7", "operator"))
        async with opened(stack.client, {"ticket": ticket}) as resp:
            assert resp.status_code == 200
            r = read("7TKT002")
            assert (await stack.match(r)).status_code == 200
            [event] = await events(resp, 1)
        assert event["event"] == "alert.created"
        assert event["data"]["read_id"] == r["read_id"]
        viewed = await stack.audit_events(action="alert.viewed", actor="op-tkt-7")
        assert {e["actor"]["agency"] for e in viewed} == {AGENCY}
        assert {tuple(e["actor"]["roles"]) for e in viewed} == {("operator",)}
        assert any(e["data"].get("stream") and e["targets"] == [] for e in viewed)  # the opening
        assert [e["targets"] for e in viewed if e["data"].get("events")] == [[event["data"]["id"]]]

    async def test_another_agencys_ticket_streams_only_its_own_agency(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7TKT003")
        await stack.match(read("7TKT003"))
        ticket = await ticket_for(stack, stack.as_("op-9", "operator", agency=OTHER_AGENCY))
        async with opened(stack.client, {"ticket": ticket, "last_event_id": 0}) as resp:
            assert resp.status_code == 200
            assert await events(resp, 1) == []  # nothing of CA0019400's; idle at once


class TestAcrossReplicasAndOrigins:
    async def test_one_replica_issues_another_takes_it_once_under_a_race(
        self, stack: HotlistStack, replica: httpx.AsyncClient
    ) -> None:
        ticket = await ticket_for(stack, stack.as_("op-1", "operator"))

        async def attempt(client: httpx.AsyncClient) -> int:
            async with opened(client, {"ticket": ticket}) as resp:
                return resp.status_code

        assert sorted(await asyncio.gather(attempt(stack.client), attempt(replica))) == [200, 401]

    async def test_a_browser_on_an_allowed_origin_resumes_with_last_event_id(
        self, stack: HotlistStack, replica: httpx.AsyncClient
    ) -> None:
        """What an EventSource does across origins: a preflight for `Last-Event-ID`, then the
        stream with a fresh ticket, resumed by the header (its own reconnect) or by the
        `last_event_id` parameter (a new EventSource, which cannot set the header)."""
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7TKT004")
        await stack.match(read("7TKT004"))
        await stack.match(read("7TKT004"))
        op = stack.as_("op-1", "operator")
        preflight = await replica.options(
            STREAM,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "last-event-id, cache-control",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        fresh = {"ticket": await ticket_for(stack, op), "last_event_id": 0, "hotlist_id": hotlist_id}
        async with opened(replica, fresh, {"Origin": ORIGIN}) as resp:
            assert resp.headers["access-control-allow-origin"] == ORIGIN
            first = await events(resp, 2)
        assert len(first) == 2
        browser = {"Origin": ORIGIN, "Last-Event-ID": first[0]["id"], "Cache-Control": "no-cache"}
        params = {"ticket": await ticket_for(stack, op), "hotlist_id": hotlist_id}
        async with opened(replica, params, browser) as resp:
            assert resp.status_code == 200
            assert resp.headers["access-control-allow-origin"] == ORIGIN
            assert [e["id"] for e in await events(resp, 2)] == [first[1]["id"]]
        resume = {
            "ticket": await ticket_for(stack, op),
            "last_event_id": first[0]["id"],
            "hotlist_id": hotlist_id,
        }
        async with opened(replica, resume, {"Origin": ORIGIN}) as resp:
            assert [e["id"] for e in await events(resp, 2)] == [first[1]["id"]]

    async def test_a_preflight_from_another_origin_is_refused(self, replica: httpx.AsyncClient) -> None:
        resp = await replica.options(
            TICKETS,
            headers={
                "Origin": "https://evil.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert resp.status_code == 400
        assert "access-control-allow-origin" not in resp.headers
