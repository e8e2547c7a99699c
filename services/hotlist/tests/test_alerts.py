"""Alerts (R13, R14): the lifecycle with who, when and a note, each step audited; live delivery
by Server-Sent Events (resumable) and by signed webhooks, retried when the receiver fails."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from hotlist_support import HotlistStack, SseReader, read, run_cli
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from alpr_devstack.testing import problem, serve_http
from alpr_hotlist.app import create_app
from alpr_hotlist.settings import Settings
from alpr_hotlist.webhooks.schemas import AlertWebhook, AlertWebhookType


async def one_alert(stack: HotlistStack, plate: str = "7ABC123") -> dict[str, Any]:
    hotlist_id = await stack.hotlist()
    await stack.entry(hotlist_id, plate)
    await stack.match(read(plate))
    [alert] = await stack.alerts()
    return alert


async def move(
    stack: HotlistStack,
    alert_id: str,
    to: str,
    who: str = "op-1",
    role: str = "operator",
    disposition: str | None = None,
) -> httpx.Response:
    body = {"to": to, "note": f"to {to}"}
    if disposition is not None:
        body["disposition"] = disposition
    return await stack.client.post(
        f"/v1/alerts/{alert_id}/transitions", json=body, headers=stack.as_(who, role)
    )


class TestLifecycle:
    async def test_forward_one_step_at_a_time_to_confirmed(self, stack: HotlistStack) -> None:
        alert = await one_alert(stack)
        assert (await move(stack, alert["id"], "live_query")).status_code == 409  # no skipping
        assert (await move(stack, alert["id"], "tentative_hit")).status_code == 200
        assert (await move(stack, alert["id"], "live_query", "sup-1", "supervisor")).status_code == 200
        done = await move(stack, alert["id"], "confirmed", "inv-1", "investigator", "no_action")
        assert done.status_code == 200
        body = done.json()
        assert body["state"] == "confirmed"
        assert [(t["from"], t["to"], t["by"]["sub"]) for t in body["transitions"]] == [
            ("alert", "tentative_hit", "op-1"),
            ("tentative_hit", "live_query", "sup-1"),
            ("live_query", "confirmed", "inv-1"),
        ]
        assert body["transitions"][0]["note"] == "to tentative_hit"
        assert body["transitions"][0]["at"]
        assert (await move(stack, alert["id"], "misread")).status_code == 409  # final
        audited = await stack.audit_events(action="alert.transitioned")
        assert sorted((e["data"]["from"], e["data"]["to"]) for e in audited) == [
            ("alert", "tentative_hit"),
            ("live_query", "confirmed"),
            ("tentative_hit", "live_query"),
        ]

    async def test_closed_as_misread_from_an_open_state_feeds_the_misread_rate(
        self, stack: HotlistStack
    ) -> None:
        alert = await one_alert(stack)
        await move(stack, alert["id"], "tentative_hit")
        closed = await move(stack, alert["id"], "misread")
        assert closed.status_code == 200
        assert closed.json()["state"] == "misread"
        assert (await move(stack, alert["id"], "not_active", disposition="stop")).status_code == 409
        auditor = stack.as_("aud-1", "auditor")
        stats = await stack.client.get("/v1/stats", params={"agency": "CA0019400"}, headers=auditor)
        assert stats.json()["hits_by_state"] == {"misread": 1}
        assert stats.json()["misread_rate"] == 1.0

    async def test_misreads_are_counted_per_camera_and_model_version_R22(self, stack: HotlistStack) -> None:
        """R22: a misread-closed alert counts against its camera and model version, in the stats
        (checked alerts beside misreads) and in the Prometheus counter (by model version only)."""
        hotlist_id = await stack.hotlist()
        plates = ["7ABC123", "7ABC124", "7ABC125", "7ABC126"]
        for plate in plates:
            await stack.entry(hotlist_id, plate)
        cam_a, cam_b = str(uuid.uuid4()), str(uuid.uuid4())
        made = await stack.match(
            read("7ABC123", camera_id=cam_a, model_version="lpr-2026.11"),
            read("7ABC124", camera_id=cam_a, model_version="lpr-2026.11"),
            read("7ABC125", camera_id=cam_b),  # no version reported
            read("7ABC126", camera_id=cam_b, model_version="lpr-2026.11"),
        )
        assert made.status_code == 200, made.text
        alerts = {a["plate"]: a for a in await stack.alerts()}
        cameras = [cam_a, cam_a, cam_b, cam_b]
        assert [alerts[p]["camera_id"] for p in plates] == cameras  # the camera stays on the alert
        assert (await move(stack, alerts["7ABC123"]["id"], "misread")).status_code == 200
        assert (await move(stack, alerts["7ABC124"]["id"], "tentative_hit")).status_code == 200
        assert (await move(stack, alerts["7ABC125"]["id"], "misread")).status_code == 200
        # 7ABC126 is not checked yet: its source shows nowhere.
        auditor = stack.as_("aud-1", "auditor")
        stats = await stack.client.get("/v1/stats", params={"agency": "CA0019400"}, headers=auditor)
        assert stats.status_code == 200, stats.text
        by_source = {(s["camera_id"], s["model_version"]): s for s in stats.json()["misreads_by_source"]}
        assert by_source == {
            (cam_a, "lpr-2026.11"): {
                "camera_id": cam_a,
                "model_version": "lpr-2026.11",
                "checked": 2,
                "misreads": 1,
            },
            (cam_b, "unknown"): {"camera_id": cam_b, "model_version": "unknown", "checked": 1, "misreads": 1},
        }
        assert stats.json()["misread_rate"] == round(2 / 3, 4)
        metrics = (await stack.client.get("/metrics")).text
        assert 'alpr_hotlist_misreads_total{model_version="lpr-2026.11"} 1.0' in metrics
        assert 'alpr_hotlist_misreads_total{model_version="unknown"} 1.0' in metrics
        assert "camera" not in "".join(line for line in metrics.splitlines() if "misreads" in line)

    async def test_only_officers_of_the_alerts_agency_act(self, stack: HotlistStack) -> None:
        alert = await one_alert(stack)
        assert (await move(stack, alert["id"], "tentative_hit", "adm-1", "alpr_admin")).status_code == 403
        other = await stack.client.post(
            f"/v1/alerts/{alert['id']}/transitions",
            json={"to": "tentative_hit"},
            headers=stack.as_("op-9", "operator", agency="CA0010000"),
        )
        assert other.status_code == 404
        bad = await stack.client.post(
            f"/v1/alerts/{alert['id']}/transitions",
            json={"to": "arrested"},
            headers=stack.as_("op-1", "operator"),
        )
        assert bad.status_code == 422


class TestDisposition:
    """R14: the move that confirms or closes an alert records what came of it; the alert, its
    transitions and the ledger event of the move show it (the SB 34 report counts those)."""

    async def test_confirmed_needs_an_outcome_shown_on_the_alert_and_the_ledger_R14(
        self, stack: HotlistStack
    ) -> None:
        alert = await one_alert(stack)
        await move(stack, alert["id"], "tentative_hit")
        await move(stack, alert["id"], "live_query")
        for missing_or_wrong in (None, "misread", "towed"):
            refused = await move(stack, alert["id"], "confirmed", disposition=missing_or_wrong)
            assert refused.status_code == 422, missing_or_wrong
            assert problem(refused)["type"] == "urn:alpr:problem:validation"
        done = await move(stack, alert["id"], "confirmed", disposition="arrest")
        assert done.status_code == 200, done.text
        assert done.json()["disposition"] == "arrest"
        assert [t["disposition"] for t in done.json()["transitions"]] == [None, None, "arrest"]
        shown = await stack.client.get(f"/v1/alerts/{alert['id']}", headers=stack.as_("op-1", "operator"))
        assert shown.json()["state"] == "confirmed"
        assert shown.json()["disposition"] == "arrest"
        [listed] = await stack.alerts(state="confirmed")
        assert listed["disposition"] == "arrest"
        events = await stack.ledgered(3, action="alert.transitioned")
        assert sorted((e["data"]["to"], e["data"]["disposition"]) for e in events) == [
            ("confirmed", "arrest"),
            ("live_query", None),
            ("tentative_hit", None),
        ]

    async def test_misread_is_implied_by_the_state_and_no_other_state_takes_it_R14(
        self, stack: HotlistStack
    ) -> None:
        hotlist_id = await stack.hotlist()
        for plate in ("7ABC123", "7ABC124", "7ABC125", "7ABC126"):
            await stack.entry(hotlist_id, plate)
        await stack.match(read("7ABC123"), read("7ABC124"), read("7ABC125"), read("7ABC126"))
        alerts = {a["plate"]: a["id"] for a in await stack.alerts()}
        assert (await move(stack, alerts["7ABC123"], "misread", disposition="stop")).status_code == 422
        closed = await move(stack, alerts["7ABC123"], "misread")
        assert closed.status_code == 200, closed.text
        assert closed.json()["disposition"] == "misread"
        explicit = await move(stack, alerts["7ABC124"], "misread", disposition="misread")
        assert explicit.json()["disposition"] == "misread"
        # An open state takes none; a moved-on entry (not active) takes the officer's outcome.
        assert (await move(stack, alerts["7ABC125"], "tentative_hit", disposition="stop")).status_code == 422
        assert (await move(stack, alerts["7ABC125"], "not_active")).status_code == 422
        assert (await move(stack, alerts["7ABC125"], "not_active", disposition="misread")).status_code == 422
        gone = await move(stack, alerts["7ABC125"], "not_active", disposition="vehicle_recovered")
        assert gone.status_code == 200, gone.text
        assert gone.json()["disposition"] == "vehicle_recovered"
        [unchecked] = [a for a in await stack.alerts() if a["plate"] == "7ABC126"]
        assert unchecked["disposition"] is None  # open: nothing came of it yet


async def sse_events(
    stack: HotlistStack,
    headers: dict[str, str],
    want: int,
    opened: asyncio.Event | None = None,
    until_idle: bool = False,
    **params: Any,
) -> list[dict[str, Any]]:
    """Reads the stream until ``want`` events arrived; each with its arrival time. ``opened`` is
    set on the stream's opening comment, sent once its starting position is fixed; with
    ``until_idle`` it also stops at the first keep-alive, which the stream sends only once it
    has sent every event it holds."""
    events: list[dict[str, Any]] = []
    reader = SseReader()
    async with stack.client.stream("GET", "/v1/alerts/stream", headers=headers, params=params) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        async for line in resp.aiter_lines():
            if line.startswith(": stream open") and opened is not None:
                opened.set()
            elif line.startswith(": keep-alive") and until_idle:
                return events
            elif (event := reader.feed(line)) is not None:
                events.append({**event, "at": time.monotonic()})
                if len(events) == want:
                    return events
    return events


class TestStream:
    async def test_a_new_alert_reaches_the_stream_within_a_second(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7ABC123")
        op = stack.as_("op-1", "operator")
        opened = asyncio.Event()
        listener = asyncio.create_task(sse_events(stack, op, 1, opened))
        await asyncio.wait_for(opened.wait(), 10)  # from here on, a new alert is the stream's
        r = read("7ABC123")
        sent = time.monotonic()
        assert (await stack.match(r)).status_code == 200
        [event] = await asyncio.wait_for(listener, 5)
        assert event["event"] == "alert.created"
        assert event["data"]["read_id"] == r["read_id"]
        assert event["at"] - sent < 1.0

    async def test_last_event_id_resumes_and_hotlist_filters(self, stack: HotlistStack) -> None:
        wanted = await stack.hotlist()
        other = await stack.hotlist()
        await stack.entry(wanted, "1AAA111")
        await stack.entry(other, "2BBB222")
        op = stack.as_("op-1", "operator")
        await stack.match(read("1AAA111"))
        first = await sse_events(stack, {**op, "Last-Event-ID": "0"}, 1)
        await stack.match(read("2BBB222"), read("1AAA111"))
        [alert] = [
            a for a in await stack.alerts() if a["plate"] == "1AAA111" and a["id"] != first[0]["data"]["id"]
        ]
        await move(stack, alert["id"], "tentative_hit")
        resumed = await sse_events(stack, {**op, "Last-Event-ID": first[0]["id"]}, 2, hotlist_id=wanted)
        assert [(e["event"], e["data"]["id"]) for e in resumed] == [
            ("alert.created", alert["id"]),
            ("alert.transitioned", alert["id"]),
        ]
        assert resumed[1]["data"]["state"] == "tentative_hit"
        foreign = stack.as_("op-9", "operator", agency="CA0010000")
        seen = await sse_events(stack, {**foreign, "Last-Event-ID": "0"}, 1, until_idle=True)
        assert seen == []  # another agency's stream carries none of these alerts


class TestViewsAreRecorded:
    async def test_alert_and_entry_views_are_on_the_ledger_before_they_leave(
        self, stack: HotlistStack
    ) -> None:
        """Issue 16: every answer that carries a plate, a place or an image is recorded: the
        alert list, one alert, the stream (when it opens and for the alerts it delivers), the
        entry list and one entry, each with the actor and its targets."""
        hotlist_id = await stack.hotlist()
        entry_id = await stack.entry(hotlist_id, "7VIEW01")
        await stack.match(read("7VIEW01"))
        [alert] = await stack.alerts()  # op-1's list view
        op = stack.as_("op-2", "operator")
        assert (await stack.client.get(f"/v1/alerts/{alert['id']}", headers=op)).status_code == 200
        [event] = await sse_events(stack, {**op, "Last-Event-ID": "0"}, 1)
        assert event["data"]["id"] == alert["id"]
        entries = await stack.client.get(f"/v1/hotlists/{hotlist_id}/entries", headers=op)
        assert entries.status_code == 200
        one = await stack.client.get(f"/v1/hotlists/{hotlist_id}/entries/{entry_id}", headers=op)
        assert one.status_code == 200

        viewed = await stack.audit_events(action="alert.viewed")
        listing = [e for e in viewed if e["actor"]["sub"] == "op-1" and e["data"].get("list")]
        assert [e["targets"] for e in listing] == [[alert["id"]]]
        mine = [e for e in viewed if e["actor"]["sub"] == "op-2"]
        assert [e["targets"] for e in mine if not e["data"]] == [[alert["id"]]]
        streamed = [e for e in mine if e["data"].get("stream")]
        assert [e["targets"] for e in streamed if e["data"].get("events")] == [[alert["id"]]]
        assert any(e["targets"] == [] for e in streamed)  # the stream's opening
        entry_views = await stack.audit_events(action="hotlist.entry.viewed", actor="op-2")
        assert sorted(tuple(e["targets"]) for e in entry_views) == sorted(
            [(hotlist_id, entry_id), (hotlist_id, entry_id)]
        )

    async def test_a_last_event_id_past_int64_is_422(self, stack: HotlistStack) -> None:
        """Issue 19 (found by the fuzz suite): the stream started, then failed on the value."""
        op = stack.as_("op-1", "operator")
        resp = await stack.client.get("/v1/alerts/stream", headers={**op, "Last-Event-ID": str(2**63)})
        assert resp.status_code == 422


received: list[dict[str, Any]] = []
fail_first: list[int] = []


def receiver_app() -> FastAPI:
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        received.append({"headers": dict(request.headers), "body": body.decode()})
        if fail_first and len(received) <= fail_first[0]:
            return Response(status_code=500)
        return Response(status_code=204)

    return app


@asynccontextmanager
async def receiver(failures: int = 0) -> AsyncIterator[str]:
    received.clear()
    fail_first[:] = [failures]
    async with serve_http(receiver_app()) as url:
        yield f"{url}/hook"


async def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


class TestWebhooks:
    async def test_the_receiver_verifies_the_signature(self, stack: HotlistStack) -> None:
        async with receiver() as url:
            created = await stack.client.post("/v1/webhooks", json={"url": url}, headers=stack.admin)
            assert created.status_code == 201
            secret = created.json()["secret"]
            assert secret.startswith("whsec_")
            alert = await one_alert(stack)
            await eventually(lambda: len(received) == 1)
        message = Webhook(secret).verify(received[0]["body"], received[0]["headers"])
        assert message["type"] == "alert.created"
        assert message["data"]["id"] == alert["id"]
        assert message["data"]["crop_url"]
        assert "crop_key" not in message["data"]
        # The body is the one the document's `webhooks` section declares (issue 18).
        delivered = AlertWebhook.model_validate_json(received[0]["body"])
        assert delivered.type is AlertWebhookType.CREATED
        assert str(delivered.data.id) == alert["id"]
        hooks = create_app(Settings()).openapi()["webhooks"]
        body = hooks["alert.created"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/AlertWebhook"}
        listed = await stack.client.get("/v1/webhooks", headers=stack.admin)
        assert "secret" not in listed.json()[0]
        with pytest.raises(WebhookVerificationError, match="signature"):
            Webhook(secret).verify(received[0]["body"].replace("alert", "alarm"), received[0]["headers"])

    async def test_a_failing_receiver_is_retried_with_the_same_message_id(self, stack: HotlistStack) -> None:
        async with receiver(failures=2) as url:
            created = await stack.client.post("/v1/webhooks", json={"url": url}, headers=stack.admin)
            await one_alert(stack)
            await eventually(lambda: len(received) == 3, timeout=15)
        ids = {r["headers"]["webhook-id"] for r in received}
        assert len(ids) == 1
        log = await stack.client.get(f"/v1/webhooks/{created.json()['id']}/deliveries", headers=stack.admin)
        [delivery] = log.json()["items"]
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == 3
        assert delivery["last_status_code"] == 204


class TestRetention:
    async def test_closed_alerts_past_their_retention_go_open_ones_stay_R14(
        self, stack: HotlistStack
    ) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7ABC123")
        await stack.match(read("7ABC123"), read("7ABC123"))
        closed, still_open = await stack.alerts()
        await move(stack, closed["id"], "misread")
        await stack.sql("UPDATE hotlist.alerts SET created_at = now() - interval '400 days'")
        code, out, _ = await run_cli(stack.cli_env(), "hotlist", "purge-alerts")
        assert code == 0
        assert "kept indefinitely" in out  # the default
        code, out, err = await run_cli(
            stack.cli_env(HOTLIST_ALERT_RETENTION_DAYS="365"), "hotlist", "purge-alerts"
        )
        assert code == 0, err
        assert "removed 1 closed alerts" in out
        assert [a["id"] for a in await stack.alerts()] == [still_open["id"]]
        [event] = await stack.audit_events(action="retention.purged")
        assert event["data"]["alerts"] == 1
