"""Matching reads from ingest (R8, R11): exact, partial, confusable (lower grade), state rules,
expiry, idempotency on the read id."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
from hotlist_support import HotlistStack, read

from alpr_common import (
    LEDGER_TOPIC,
    Action,
    AuditClient,
    ClientCredentials,
    LedgerOutbox,
    OutboxSettings,
    Principal,
    audit_event,
    make_engine,
    make_sessionmaker,
    outbox_backlog,
)
from alpr_hotlist.tables import outbox_messages


class TestMatching:
    async def test_exact_match_makes_one_alert_with_the_read_and_entry(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist(name="BOLO")
        entry_id = await stack.entry(hotlist_id, "7abc-123")
        r = read("7 ABC 123")
        resp = await stack.match(r)
        assert resp.status_code == 200
        assert resp.json() == {"accepted": 1}
        [alert] = await stack.alerts()
        assert alert["read_id"] == r["read_id"]
        assert alert["entry_id"] == entry_id
        assert alert["grade"] == "exact"
        assert alert["state"] == "alert"
        assert alert["plate"] == "7ABC123"
        assert alert["entry"]["hotlist_name"] == "BOLO"
        assert alert["entry"]["case_number"] == "2026-000123"
        assert alert["crop_url"]
        assert "X-Amz-Signature" in alert["crop_url"]
        [event] = await stack.ledgered(1, action="alert.created")
        assert event["data"]["grade"] == "exact"
        assert event["targets"] == [alert["id"], r["read_id"]]

    async def test_the_same_read_again_makes_no_second_alert(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7ABC123")
        r = read("7ABC123")
        await stack.match(r)
        await stack.match(r, r)
        assert len(await stack.alerts()) == 1
        await stack.ledger_drained()  # every event the outbox will ship is shipped
        events = await stack.audit_events(action="alert.created")
        assert [e["targets"][1] for e in events] == [r["read_id"]]  # one event, for this read

    async def test_partial_entries_match_by_wildcard(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7AB*12")
        await stack.entry(hotlist_id, "9??K55")
        await stack.match(read("7ABXY12"), read("7AB12"), read("9QRK55"), read("8AB12"), read("9QRK555"))
        alerts = await stack.alerts()
        assert sorted(a["plate"] for a in alerts) == ["7AB12", "7ABXY12", "9QRK55"]
        assert {a["grade"] for a in alerts} == {"partial"}

    async def test_ocr_confusable_plates_match_at_a_lower_grade(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "8OB5120")
        await stack.match(read("BD8S1Z0"), read("8OB5120"), read("8OB5121"))
        grades = {a["plate"]: a["grade"] for a in await stack.alerts()}
        assert grades == {"BD8S1Z0": "confusable", "8OB5120": "exact"}

    async def test_state_must_agree_unless_the_read_has_none(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "7ABC123", state="NV")
        await stack.match(read("7ABC123", region="CA"))
        assert await stack.alerts() == []
        await stack.match(read("7ABC123", region="nv"), read("7ABC123", region="unknown"))
        assert len(await stack.alerts()) == 2

    async def test_a_doubtful_state_does_not_hide_a_hit(self, stack: HotlistStack) -> None:
        """Issue 21: a read's state must agree only when it names one with a region confidence of
        at least HOTLIST_STATE_MATCH_MIN_CONFIDENCE (0.8): an unknown or doubtful NV read
        matches a CA entry, a confident NV read does not, a confident CA read does."""
        hotlist_id = await stack.hotlist()
        await stack.entry(hotlist_id, "6TIX874", state="CA")
        reads = {
            "unknown": read("6TIX874", region="unknown", region_confidence=0.99),
            "doubtful NV": read("6TIX874", region="NV", region_confidence=0.41),
            "confident NV": read("6TIX874", region="NV", region_confidence=0.97),
            "confident CA": read("6TIX874", region="CA", region_confidence=0.97),
        }
        await stack.match(*reads.values())
        alerted = {a["read_id"] for a in await stack.alerts()}
        assert {name for name, r in reads.items() if r["read_id"] in alerted} == {
            "unknown",
            "doubtful NV",
            "confident CA",
        }

    async def test_expired_entries_other_agencies_and_silent_lists_do_not_alert(
        self, stack: HotlistStack
    ) -> None:
        hotlist_id = await stack.hotlist()
        entry_id = await stack.entry(hotlist_id, "1EXP001")
        await stack.sql(
            "UPDATE hotlist.entries SET expires_at = :t WHERE id = CAST(:id AS uuid)",
            t=datetime.now(UTC) - timedelta(minutes=1),
            id=entry_id,
        )
        silent = await stack.hotlist(alerting=False)
        await stack.entry(silent, "2SIL002")
        await stack.entry(hotlist_id, "3OTH003")
        await stack.match(read("1EXP001"), read("2SIL002"), read("3OTH003", agency="CA0010000"))
        assert await stack.alerts() == []
        entry = await stack.client.get(f"/v1/hotlists/{hotlist_id}/entries/{entry_id}", headers=stack.admin)
        assert entry.json()["status"] == "expired"

    async def test_only_services_submit_reads_and_bad_batches_are_refused(self, stack: HotlistStack) -> None:
        body = {"reads": [read("7ABC123")]}
        officer = await stack.client.post("/v1/matches", json=body, headers=stack.as_("op-1", "operator"))
        assert officer.status_code == 403
        empty = await stack.client.post("/v1/matches", json={"reads": []}, headers=stack.service)
        assert empty.status_code == 422
        bad = await stack.client.post(
            "/v1/matches", json={"reads": [{**read("7ABC123"), "confidence": 3}]}, headers=stack.service
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")


class TestLedgerOutbox:
    async def test_alert_events_wait_while_audit_is_down_and_go_when_it_is_back(
        self, stack: HotlistStack
    ) -> None:
        """The alert events a match writes wait in the outbox while audit is down (the alerts
        stand) and reach the ledger once it is back, exactly once (issue 16)."""
        db = stack.infra.migrated_database("alpr_hotlist", prefix="outbox")  # no service ships from it
        engine = make_engine(db, application_name="test-outbox")
        event = audit_event(
            Principal(sub="svc-ingest", name="ingest", agency="CA0019400", roles=frozenset({"service"})),
            Action.ALERT_CREATED,
            source="hotlist",
            data={"plate": "7OUT123"},
        )
        fast = OutboxSettings(
            poll_s=0.05, backoff_base_s=0.05, backoff_cap_s=0.2, lease_s=5, send_timeout_s=2
        )
        try:
            async with httpx.AsyncClient() as http:
                down = AuditClient("http://127.0.0.1:9", http=http, credentials=None, retries=0)
                waiting = LedgerOutbox(engine, outbox_messages, down, settings=fast, deliver_now_s=0.5)
                async with make_sessionmaker(engine)() as session, session.begin():
                    await waiting.record(session, event)
                assert await waiting.dispatcher.deliver_batch(LEDGER_TOPIC) == 1  # tried, refused
                backlog = await outbox_backlog(engine, outbox_messages, [LEDGER_TOPIC])
                assert backlog[LEDGER_TOPIC].lag_s > 0  # still waiting
                credentials = ClientCredentials(
                    issuer=stack.settings.oidc_issuer,
                    client_id="svc-hotlist-test",
                    client_secret=stack.settings.client_secret.get_secret_value(),
                    http=http,
                )
                up = AuditClient(stack.audit_url, http=http, credentials=credentials)
                sending = LedgerOutbox(engine, outbox_messages, up, settings=fast)
                async with sending.running():
                    [shipped] = await stack.ledgered(1, action="alert.created", plate="7OUT123")
                    deadline = time.monotonic() + 10
                    while (await outbox_backlog(engine, outbox_messages, [LEDGER_TOPIC]))[LEDGER_TOPIC].lag_s:
                        assert time.monotonic() < deadline, "never marked delivered"
                        await asyncio.sleep(0.05)
        finally:
            await engine.dispose()
        assert shipped["actor"]["sub"] == "svc-ingest"
        assert shipped["event_id"] == str(event.event_id)
