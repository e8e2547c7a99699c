"""Sources and sync (R10, R11): the CSV layout with bad rows reported by line, malformed feeds
changing nothing, atomic replacement, 24-hour freshness, partner feeds over HTTP, the CLI."""

from __future__ import annotations

import asyncio
import json
import random
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Response
from hotlist_support import HotlistStack, read, run_cli

from alpr_common import OutboundClient, ServiceClients, make_engine, make_sessionmaker
from alpr_devstack.testing import serve_http
from alpr_hotlist.sources.sync import SyncDeps, sync_due

SAMPLE = Path(__file__).parents[1] / "src" / "alpr_hotlist" / "sources" / "sample_ncic.csv"
HEADER = "plate,state,reason,ncic_number,expiry\n"


async def source(stack: HotlistStack, hotlist_id: str, url: str, fmt: str = "csv") -> str:
    resp = await stack.client.post(
        "/v1/sources", json={"hotlist_id": hotlist_id, "url": url, "format": fmt}, headers=stack.admin
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def sync(stack: HotlistStack, source_id: str) -> dict[str, Any]:
    resp = await stack.client.post(f"/v1/sources/{source_id}:sync", headers=stack.admin)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def file_source(stack: HotlistStack, text: str, name: str = "feed.csv") -> tuple[str, str, Path]:
    path = stack.feed_dir / name
    path.write_text(text)
    hotlist_id = await stack.hotlist(kind="ncic_stolen_vehicle")
    return hotlist_id, await source(stack, hotlist_id, path.as_uri()), path


class TestSync:
    async def test_the_sample_extract_loads_and_matches(self, stack: HotlistStack) -> None:
        hotlist_id, source_id, _ = await file_source(stack, SAMPLE.read_text())
        result = await sync(stack, source_id)
        rows = [line for line in SAMPLE.read_text().splitlines()[1:] if line.strip()]
        assert result["status"] == "ok"
        assert result["rejected"] == 0
        assert result["loaded"] == len(rows)
        await stack.match(read("7ABC123"))
        alerts = await stack.alerts()  # the sample holds this plate twice, from two agencies' records
        assert {a["hotlist_id"] for a in alerts} == {hotlist_id}
        assert len(alerts) == 2
        assert "V482913570" in {a["entry"]["ncic_number"] for a in alerts}
        [event] = await stack.audit_events(action="hotlist.synced")
        assert event["data"]["loaded"] == len(rows)
        assert event["outcome"] == "allowed"

    async def test_bad_rows_are_reported_by_line_and_the_rest_load(self, stack: HotlistStack) -> None:
        good = [f"{i % 10}GOOD{i:03d},CA,stolen,V{i:09d},\n" for i in range(20)]
        text = HEADER + "".join(good[:2]) + "BAD1,California,x,,\n" + "".join(good[2:]) + ",CA,no plate,,\n"
        _, source_id, _ = await file_source(stack, text)
        result = await sync(stack, source_id)
        assert result["status"] == "ok"
        assert result["loaded"] == 20
        assert result["rejected"] == 2
        lines = [e["line"] for e in result["errors"]]
        assert lines == [4, 23]
        assert "state" in result["errors"][0]["error"]
        assert "plate" in result["errors"][1]["error"]
        log = await stack.client.get(f"/v1/sources/{source_id}/syncs", headers=stack.admin)
        assert log.json()["items"][0]["errors"] == result["errors"]

    async def test_a_malformed_feed_changes_nothing(self, stack: HotlistStack) -> None:
        _, source_id, path = await file_source(stack, HEADER + "7ABC123,CA,stolen,V000000001,\n")
        assert (await sync(stack, source_id))["loaded"] == 1
        for broken in ("", "<html><body>502 Bad Gateway</body></html>\n", "lic_no;colour\nX;Y\n"):
            path.write_text(broken)
            result = await sync(stack, source_id)
            assert result["status"] == "failed", broken
            assert result["error"], broken
        path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)))
        assert (await sync(stack, source_id))["status"] == "failed"
        await stack.match(read("7ABC123"))
        assert len(await stack.alerts()) == 1  # the list from the last good sync still matches
        got = await stack.client.get(f"/v1/sources/{source_id}", headers=stack.admin)
        assert got.json()["last_status"] == "failed"
        assert got.json()["last_success_at"] is not None
        refused = await stack.audit_events(action="hotlist.synced", outcome="refused")
        assert len(refused) == 4

    async def test_a_sync_replaces_the_list_with_the_newest_data(self, stack: HotlistStack) -> None:
        _, source_id, path = await file_source(stack, HEADER + "1OLD001,CA,,,\n2KEEP02,CA,,,\n")
        await sync(stack, source_id)
        path.write_text(HEADER + "2KEEP02,CA,,,\n3NEW003,CA,,,\n")
        result = await sync(stack, source_id)
        assert result["removed"] == 2
        assert result["loaded"] == 2
        await stack.match(read("1OLD001"), read("2KEEP02"), read("3NEW003"))
        assert sorted(a["plate"] for a in await stack.alerts()) == ["2KEEP02", "3NEW003"]

    async def test_a_hundred_thousand_rows(self, stack: HotlistStack) -> None:
        rng = random.Random(7)
        alphabet = string.ascii_uppercase + string.digits
        plates = {"".join(rng.choices(alphabet, k=7)) for _ in range(100_000)}
        while len(plates) < 100_000:
            plates.add("".join(rng.choices(alphabet, k=7)))
        text = HEADER + "".join(f"{p},CA,stolen,V{i:09d},2027-12-31\n" for i, p in enumerate(sorted(plates)))
        hotlist_id, source_id, _ = await file_source(stack, text)
        result = await sync(stack, source_id)
        assert result["status"] == "ok"
        assert result["loaded"] == 100_000
        listed = await stack.client.get(f"/v1/hotlists/{hotlist_id}", headers=stack.admin)
        assert listed.json()["active_entries"] == 100_000
        probe = sorted(plates)[54_321]
        await stack.match(read(probe))
        assert [a["plate"] for a in await stack.alerts()] == [probe]


class TestFreshness:
    async def test_an_entry_refreshed_25_hours_ago_stops_matching_until_a_sync(
        self, stack: HotlistStack
    ) -> None:
        hotlist_id, source_id, _ = await file_source(stack, HEADER + "7ABC123,CA,stolen,V000000001,\n")
        await sync(stack, source_id)
        old = datetime.now(UTC) - timedelta(hours=25)
        await stack.sql("UPDATE hotlist.entries SET refreshed_at = :t", t=old)
        await stack.sql("UPDATE hotlist.sources SET last_success_at = :t", t=old)
        listed = await stack.client.get(f"/v1/hotlists/{hotlist_id}", headers=stack.admin)
        assert listed.json()["stale"] is True
        await stack.match(read("7ABC123"))
        assert await stack.alerts() == []
        await sync(stack, source_id)
        assert (await stack.client.get(f"/v1/hotlists/{hotlist_id}", headers=stack.admin)).json()[
            "stale"
        ] is False
        await stack.match(read("7ABC123"))
        assert len(await stack.alerts()) == 1


feed_body: dict[str, Any] = {}


def partner_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/shared-hotlist")
    async def shared() -> Response:
        return Response(json.dumps(feed_body), media_type="application/json")

    return app


@asynccontextmanager
async def partner_feed(items: list[dict[str, Any]]) -> AsyncIterator[str]:
    feed_body.clear()
    feed_body["items"] = items
    async with serve_http(partner_app()) as url:
        yield f"{url}/v1/shared-hotlist"


class TestSources:
    async def test_a_partner_feed_over_http_keeps_the_partners_refresh_time(
        self, stack: HotlistStack
    ) -> None:
        fresh = datetime.now(UTC) - timedelta(hours=1)
        stale = datetime.now(UTC) - timedelta(hours=30)
        items = [
            {"plate": "P4RT001", "state": "NV", "kind": "ncic_stolen_vehicle", "reason": "stolen",
             "expires_at": None, "refreshed_at": fresh.isoformat()},
            {"plate": "P4RT002", "state": "NV", "kind": "local_bolo", "reason": "bolo",
             "expires_at": None, "refreshed_at": stale.isoformat()},
        ]  # fmt: skip
        async with partner_feed(items) as url:
            hotlist_id = await stack.hotlist(kind="partner_shared")
            source_id = await source(stack, hotlist_id, url, "partner_json")
            assert (await sync(stack, source_id))["loaded"] == 2
        await stack.match(read("P4RT001", region="NV"), read("P4RT002", region="NV"))
        assert [a["plate"] for a in await stack.alerts()] == ["P4RT001"]  # R11: 30 hours old at the partner

    async def test_an_unreachable_feed_fails_and_file_urls_stay_in_their_directory(
        self, stack: HotlistStack
    ) -> None:
        hotlist_id = await stack.hotlist()
        source_id = await source(stack, hotlist_id, "http://127.0.0.1:9/feed.csv")
        result = await sync(stack, source_id)
        assert result["status"] == "failed"
        assert result["error"] == "the feed could not be fetched"  # not the target's answer (issue 19)
        for url in (
            "file:///etc/passwd",
            "ftp://example.org/feed.csv",
            f"file://{stack.feed_dir}/../x.csv",
            "http://127.0.0.1:80x/feed.csv",
        ):
            resp = await stack.client.post(
                "/v1/sources", json={"hotlist_id": hotlist_id, "url": url}, headers=stack.admin
            )
            assert resp.status_code == 422, url
        operator = await stack.client.get("/v1/sources", headers=stack.as_("op-1", "operator"))
        assert operator.status_code == 403

    async def test_alpr_hotlist_sync_syncs_every_source(self, stack: HotlistStack) -> None:
        _, good, _ = await file_source(stack, HEADER + "7ABC123,CA,,,\n", "a.csv")
        _, bad, path = await file_source(stack, HEADER + "8ABC123,CA,,,\n", "b.csv")
        path.write_text("")
        env = stack.cli_env(HOTLIST_FEED_DIR=str(stack.feed_dir))
        code, out, err = await run_cli(env, "hotlist", "sync")
        assert code == 1, err
        assert f"{good}: ok, 1 loaded" in out
        assert f"{bad}: FAILED" in err
        code, out, err = await run_cli(env, "hotlist", "sync", "--source", good)
        assert code == 0, err


class TestScheduler:
    async def test_due_sources_sync_once_even_with_two_replicas_polling(self, stack: HotlistStack) -> None:
        _, source_id, _ = await file_source(stack, HEADER + "7ABC123,CA,,,\n")
        engine = make_engine(stack.database_url, application_name="test-scheduler")
        try:
            async with (
                httpx.AsyncClient() as http,
                OutboundClient(stack.settings.outbound_policy) as outbound,
            ):
                deps = SyncDeps(
                    settings=stack.settings,
                    sessions=make_sessionmaker(engine),
                    clients=ServiceClients.build(stack.settings, http),
                    outbound=outbound,
                )
                first, second = await asyncio.gather(sync_due(deps), sync_due(deps))
                assert sorted(len(r) for r in (first, second)) == [0, 1]
                assert [str(r.source_id) for r in first + second] == [source_id]
                assert await sync_due(deps) == []  # not due again for an hour
        finally:
            await engine.dispose()
