"""Retention (R16): expired detections go from every store, whole day partitions are dropped,
late uploads are purged by capture time (R18), a dry run deletes nothing, counts are recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from search_support import SearchStack, ingest_stub, oldest_frames, purge_calls

from alpr_common import Principal, ServiceClients, create_service_app, make_engine
from alpr_devstack.testing import bearer, serve_http
from alpr_search.retention.service import purge

NOW = datetime.now(UTC)
# Half-way between the start of the 90-day cutoff's UTC day and the cutoff (any time of day).
_CUTOFF = NOW - timedelta(days=90)
_EDGE_DAYS = (
    (_CUTOFF - _CUTOFF.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 2 / 86400
)


def _row(plate: str, days_ago: float, agency: str = "CA0019400") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "agency": agency,
        "camera_id": str(uuid.uuid4()),
        "captured_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "plate": plate,
        "region": "CA",
        "confidence": 0.9,
    }


async def _partitions(db: str) -> set[str]:
    conn = await asyncpg.connect(db)
    try:
        rows = await conn.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'detections'"
        )
        return {r[0] for r in rows}
    finally:
        await conn.close()


async def test_purge_drops_expired_partitions_and_records_counts_R16(search_stack: SearchStack) -> None:
    rows = [
        _row("OLD1", 100),
        _row("OLD2", 95),
        _row("OLD3", 95, agency="CA0010900"),
        _row("KEEP1", 10),
        _row("EDGE", 90 + _EDGE_DAYS),  # before the cutoff, in the cutoff's own day: its partition stays
    ]
    resp = await search_stack.client.post(
        "/v1/detections:batch", json={"detections": rows}, headers=search_stack.service
    )
    assert resp.status_code == 200
    db = search_stack.settings.database_url
    before = await _partitions(db)
    assert len(before) == 4

    env = {
        **os.environ,
        "DATABASE_URL": db,
        "SEARCH_RETENTION_DAYS": "90",
        "AUDIT_URL": search_stack.audit_url,
        "OIDC_ISSUER": search_stack.infra.issuer_url,
    }
    dry = subprocess.run(
        [str(Path(sys.executable).parent / "alpr"), "search", "purge", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    assert "would purge 4 detections" in dry.stdout
    assert await _partitions(db) == before  # a dry run deletes nothing

    purge_calls.clear()
    owner = create_service_app(
        service="ingest-stub",
        settings=search_stack.infra.settings("ingest"),
        description="stub",
        routers=[ingest_stub],
        uses_database=False,
    )
    settings = search_stack.settings.model_copy(update={"retention_days": 90})
    engine = make_engine(db, application_name="test-purge")
    actor = Principal(
        sub="svc-search-test",
        name="purge",
        agency="",
        roles=frozenset({"service"}),
        client_id="svc-search-test",
    )
    try:
        async with serve_http(owner) as ingest_url, httpx.AsyncClient() as http:
            clients = ServiceClients.build(settings.model_copy(update={"ingest_url": ingest_url}), http)
            async with engine.begin() as conn:
                report = await purge(conn, clients, actor, 90)
    finally:
        await engine.dispose()
    assert report.detections_by_agency == {"CA0019400": 3, "CA0010900": 1}
    assert len(report.partitions) == 2  # the 100- and 95-day-old days; the cut-off day stays
    assert sorted(c["agency"] for c in purge_calls) == ["CA0010900", "CA0019400"]  # images via ingest
    left = await search_stack.client.post(
        "/v1/searches",
        headers=search_stack.investigator,
        json={
            "purpose": "stolen_vehicle",
            "case_number": "2026-000001",
            "from": (NOW - timedelta(days=89)).isoformat(),
            "to": NOW.isoformat(),
        },
    )
    assert [i["plate"] for i in left.json()["items"]] == ["KEEP1"]
    conn = await asyncpg.connect(db)
    try:
        assert await conn.fetchval("SELECT count(*) FROM search.detections") == 1
    finally:
        await conn.close()
    events = await search_stack.audit_events(action="retention.purged")
    assert len(events) == 1  # this auditor's agency only
    assert isinstance(events[0]["data"], dict)
    assert events[0]["data"]["detections"] == 3


async def test_each_agency_keeps_data_for_its_own_period_R16(search_stack: SearchStack) -> None:
    admin = bearer(search_stack.infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"]))
    assert (await search_stack.client.get("/v1/settings/retention", headers=admin)).json()[
        "source"
    ] == "default"
    for bad in (89, 1826):
        refused = await search_stack.client.put(
            "/v1/settings/retention", json={"retention_days": bad}, headers=admin
        )
        assert refused.status_code == 422
    investigator = await search_stack.client.put(
        "/v1/settings/retention", json={"retention_days": 120}, headers=search_stack.investigator
    )
    assert investigator.status_code == 403
    resp = await search_stack.client.put(
        "/v1/settings/retention", json={"retention_days": 120}, headers=admin
    )
    assert resp.json() == {**resp.json(), "retention_days": 120, "source": "agency"}
    [event] = await search_stack.audit_events(action="agency.updated")
    assert event["data"] == {"setting": "retention_days", "from": 365, "to": 120}

    rows = [_row("OURS200", 200), _row("OURS100", 100), _row("THEIRS200", 200, agency="CA0010900")]
    await search_stack.client.post(
        "/v1/detections:batch", json={"detections": rows}, headers=search_stack.service
    )
    db = search_stack.settings.database_url
    owner = create_service_app(
        service="ingest-stub",
        settings=search_stack.infra.settings("ingest"),
        description="stub",
        routers=[ingest_stub],
        uses_database=False,
    )
    engine = make_engine(db, application_name="test-purge-agency")
    actor = Principal(sub="svc", name="purge", agency="", roles=frozenset({"service"}), client_id="svc")
    try:
        async with serve_http(owner) as ingest_url, httpx.AsyncClient() as http:
            settings = search_stack.settings.model_copy(update={"ingest_url": ingest_url})
            async with engine.begin() as conn:
                report = await purge(conn, ServiceClients.build(settings, http), actor, 365)
    finally:
        await engine.dispose()
    # Ours is past 120 days at 200 days; the other agency keeps the default 365 days.
    assert report.detections_by_agency == {"CA0019400": 1}
    assert report.days_by_agency == {"CA0019400": 120}
    assert report.partitions == []  # no day is past the longest period in force
    conn = await asyncpg.connect(db)
    try:
        left = sorted(r[0] for r in await conn.fetch("SELECT plate FROM search.detections"))
    finally:
        await conn.close()
    assert left == ["OURS100", "THEIRS200"]


async def test_frames_with_no_read_are_purged_for_every_agency_R16(search_stack: SearchStack) -> None:
    """R16: an agency's frames past its period go even when none of them produced a read, so that
    it has no expired detection: ingest names every agency with frames and its oldest one."""
    db = search_stack.settings.database_url
    await search_stack.client.post(
        "/v1/detections:batch",
        json={"detections": [_row("RECENT", 5, agency="CA0020000")]},
        headers=search_stack.service,
    )
    owner = create_service_app(
        service="ingest-stub",
        settings=search_stack.infra.settings("ingest"),
        description="stub",
        routers=[ingest_stub],
        uses_database=False,
    )
    engine = make_engine(db, application_name="test-purge-no-read")
    actor = Principal(sub="svc", name="purge", agency="", roles=frozenset({"service"}), client_id="svc")
    purge_calls.clear()
    oldest_frames.update(
        {
            "CA0020000": (NOW - timedelta(days=120)).isoformat(),  # a recent read, old frames without
            "CA0030000": (NOW - timedelta(days=400)).isoformat(),  # never a read at all
            "CA0040000": (NOW - timedelta(days=30)).isoformat(),  # nothing past 90 days
        }
    )
    try:
        async with serve_http(owner) as ingest_url, httpx.AsyncClient() as http:
            settings = search_stack.settings.model_copy(update={"ingest_url": ingest_url})
            clients = ServiceClients.build(settings, http)
            async with engine.begin() as conn:
                dry = await purge(conn, clients, actor, 90, dry_run=True, now=NOW)
                assert purge_calls == []  # a dry run touches nothing
                report = await purge(conn, clients, actor, 90, now=NOW)
    finally:
        oldest_frames.clear()
        await engine.dispose()
    assert dry.cutoff_by_agency == {}
    cutoff = NOW - timedelta(days=90)
    assert sorted((c["agency"], datetime.fromisoformat(c["captured_before"])) for c in purge_calls) == [
        ("CA0020000", cutoff),
        ("CA0030000", cutoff),
    ]
    assert report.detections_by_agency == {}
    assert report.days_by_agency == {"CA0020000": 90, "CA0030000": 90}
    assert report.images_by_agency["CA0030000"].frames == 3  # the stand-in's answer
