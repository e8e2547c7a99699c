"""Retention (R16): expired detections go from every store, whole day partitions are dropped,
late uploads are purged by capture time (R18), a dry run deletes nothing, counts are recorded."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends
from search_support import PURGE_ACTOR, SearchStack, oldest_frames, purge_calls, purging

from alpr_common import (
    AgencyPolicy,
    HitCrops,
    Principal,
    PurgeRequest,
    PurgeResult,
    RetentionPolicy,
    Role,
    make_object_store,
    require_roles,
)
from alpr_devstack.alpr_command import run_alpr_async
from alpr_devstack.testing import bearer, stored_object
from alpr_search.retention.rules import RetentionSource
from alpr_search.retention.service import EvidenceBucket, PurgeReport, purge

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
        # Issue 17: sharing answers version 0 (no policy of its own): the setting applies.
        "SHARING_URL": search_stack.sharing.url,
        "SEARCH_CLIENT_ID": "svc-search-test",
        "SEARCH_CLIENT_SECRET": search_stack.settings.client_secret.get_secret_value(),
        # ... and the evidence packages of released holds are looked for in its bucket.
        "S3_ENDPOINT": search_stack.settings.s3_endpoint,
        "S3_ACCESS_KEY": search_stack.settings.s3_access_key,
        "S3_SECRET_KEY": search_stack.settings.s3_secret_key.get_secret_value(),
        "S3_BUCKET": search_stack.settings.s3_bucket,
    }
    # In a thread: the stand-in for sharing answers on this test's own event loop.
    dry = await run_alpr_async("search", "purge", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would purge 4 detections" in dry.stdout
    assert await _partitions(db) == before  # a dry run deletes nothing

    purge_calls.clear()
    async with purging(search_stack) as (conn, clients):
        report = await purge(conn, clients, PURGE_ACTOR, 90)
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
    async with purging(search_stack) as (conn, clients):
        report = await purge(conn, clients, PURGE_ACTOR, 365)
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
    await search_stack.client.post(
        "/v1/detections:batch",
        json={"detections": [_row("RECENT", 5, agency="CA0020000")]},
        headers=search_stack.service,
    )
    purge_calls.clear()
    oldest_frames.update(
        {
            "CA0020000": (NOW - timedelta(days=120)).isoformat(),  # a recent read, old frames without
            "CA0030000": (NOW - timedelta(days=400)).isoformat(),  # never a read at all
            "CA0040000": (NOW - timedelta(days=30)).isoformat(),  # nothing past 90 days
        }
    )
    try:
        async with purging(search_stack) as (conn, clients):
            dry = await purge(conn, clients, PURGE_ACTOR, 90, dry_run=True, now=NOW)
            assert purge_calls == []  # a dry run touches nothing
            report = await purge(conn, clients, PURGE_ACTOR, 90, now=NOW)
    finally:
        oldest_frames.clear()
    assert dry.cutoff_by_agency == {}
    cutoff = NOW - timedelta(days=90)
    assert sorted((c["agency"], datetime.fromisoformat(c["captured_before"])) for c in purge_calls) == [
        ("CA0020000", cutoff),
        ("CA0030000", cutoff),
    ]
    assert report.detections_by_agency == {}
    assert report.days_by_agency == {"CA0020000": 90, "CA0030000": 90}
    assert report.images_by_agency["CA0030000"].frames == 3  # the stand-in's answer


# Issue 17: retention by each agency's policy, reaching everything.

_stub_purges: list[PurgeRequest] = []
_stub_hit_crops: dict[str, list[str]] = {}
_stubs = APIRouter()
_Service = Annotated[Principal, Depends(require_roles(Role.SERVICE))]


@_stubs.post("/v1/frames:purge")
async def _stub_purge(body: PurgeRequest, principal: _Service) -> PurgeResult:
    """Ingest's purge, recording what search asks of it (held keys, hits' crops)."""
    _stub_purges.append(body)
    return PurgeResult(frames=0, reads=0, objects=0)


@_stubs.get("/v1/frames:oldest")
async def _stub_oldest(principal: _Service) -> dict[str, list[str]]:
    return {"items": []}


@_stubs.get("/v1/hits:crops")
async def _stub_hit_crops_route(agency: str, principal: _Service) -> HitCrops:
    """Hotlist's crops of kept hits."""
    return HitCrops(agency=agency, keys=_stub_hit_crops.get(agency, []))


def _policy(
    detection_days: int, *, floor: int = 90, ceiling: int = 1825, keep_crop: bool = False
) -> AgencyPolicy:
    return AgencyPolicy(
        retention=RetentionPolicy(
            floor_days=floor, ceiling_days=ceiling, detection_days=detection_days, hits_keep_crop=keep_crop
        )
    )


async def _run_purge(stack: SearchStack, retention_days: int, *, evidence: bool = False) -> PurgeReport:
    """Search's purge against the stand-ins for ingest and hotlist (one app serves both)."""
    _stub_purges.clear()
    bucket = EvidenceBucket(make_object_store(stack.settings), stack.settings.s3_bucket) if evidence else None
    async with purging(stack, _stubs) as (conn, clients):
        return await purge(conn, clients, PURGE_ACTOR, retention_days, now=NOW, evidence=bucket)


async def _plates(db: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(db)
    try:
        rows = await conn.fetch("SELECT agency, plate FROM search.detections ORDER BY agency, plate")
        return [(r[0], r[1]) for r in rows]
    finally:
        await conn.close()


async def test_each_agency_purges_at_its_policy_s_own_cutoff_issue_17(search_stack: SearchStack) -> None:
    """R16, issue 17: an agency's policy sets its period, whatever search's setting says; the
    ledger event names the period and the policy version."""
    search_stack.sharing.policies.update({"CA0019400": _policy(100), "CA0010900": _policy(200)})
    search_stack.sharing.versions["CA0019400"] = 3
    rows = [
        _row("A150", 150),
        _row("A50", 50),
        _row("B150", 150, agency="CA0010900"),
        _row("B250", 250, agency="CA0010900"),
    ]
    await search_stack.client.post(
        "/v1/detections:batch", json={"detections": rows}, headers=search_stack.service
    )
    report = await _run_purge(search_stack, 90)  # the setting would purge all but A50
    assert report.detections_by_agency == {"CA0019400": 1, "CA0010900": 1}
    assert report.days_by_agency == {"CA0019400": 100, "CA0010900": 200}
    assert {c.agency: c.captured_before for c in _stub_purges} == {
        "CA0019400": NOW - timedelta(days=100),
        "CA0010900": NOW - timedelta(days=200),
    }
    assert await _plates(search_stack.settings.database_url) == [("CA0010900", "B150"), ("CA0019400", "A50")]
    [event] = await search_stack.audit_events(action="retention.purged")
    assert event["data"]["policy_version"] == 3
    assert event["data"]["retention_days"] == 100
    assert event["data"]["retention_source"] == "policy"
    assert (event["data"]["floor_days"], event["data"]["ceiling_days"]) == (90, 1825)


async def test_a_policy_never_read_purges_no_more_than_the_strictest_default_issue_17(
    search_stack: SearchStack,
) -> None:
    """Issue 17: sharing unreachable and the policy never read: the purge keeps data at least the
    strictest default's year (deleting early breaks the floor), however short the setting."""
    search_stack.sharing.down = True
    rows = [_row("D100", 100), _row("D400", 400)]
    await search_stack.client.post(
        "/v1/detections:batch", json={"detections": rows}, headers=search_stack.service
    )
    report = await _run_purge(search_stack, 90)
    rule = report.rules["CA0019400"]
    assert (rule.source, rule.days, rule.policy_version) == (RetentionSource.STRICTEST, 365, 0)
    assert report.detections_by_agency == {"CA0019400": 1}
    assert await _plates(search_stack.settings.database_url) == [("CA0019400", "D100")]
    # Once sharing answers (no policy of its own: version 0), the setting applies again.
    search_stack.sharing.down = False
    again = await _run_purge(search_stack, 90)
    assert again.rules["CA0019400"].source == RetentionSource.DEFAULT
    assert await _plates(search_stack.settings.database_url) == []


async def test_the_retention_setting_stays_within_the_policy_s_bounds_R33(search_stack: SearchStack) -> None:
    """R33, issue 17: once the agency has a policy, search's own setting is refused outside its
    floor and ceiling (422 naming both), and the policy's period is the one in force."""
    search_stack.sharing.policies["CA0019400"] = _policy(400, floor=365, ceiling=730)
    admin = bearer(search_stack.infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"]))
    shown = await search_stack.client.get("/v1/settings/retention", headers=admin)
    assert shown.status_code == 200, shown.text
    assert shown.json() | {"updated_at": None} == {
        "agency": "CA0019400",
        "retention_days": 400,
        "source": "policy",
        "updated_at": None,
        "policy_version": 1,
        "floor_days": 365,
        "ceiling_days": 730,
    }
    for bad in (200, 800):
        refused = await search_stack.client.put(
            "/v1/settings/retention", json={"retention_days": bad}, headers=admin
        )
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert "floor of 365 days" in detail
        assert "ceiling of 730 days" in detail
    ok = await search_stack.client.put("/v1/settings/retention", json={"retention_days": 500}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert (ok.json()["retention_days"], ok.json()["source"]) == (400, "policy")  # the policy wins
    [event] = await search_stack.audit_events(action="agency.updated")
    assert event["data"] == {"setting": "retention_days", "from": 365, "to": 500}


async def test_the_retention_setting_with_a_policy_never_read_keeps_the_strictest_bounds(
    search_stack: SearchStack,
) -> None:
    """Issue 17: sharing unreachable and the policy never read: the strictest defaults' bounds."""
    search_stack.sharing.down = True
    admin = bearer(search_stack.infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"]))
    shown = (await search_stack.client.get("/v1/settings/retention", headers=admin)).json()
    assert (shown["retention_days"], shown["source"], shown["policy_version"]) == (365, "strictest", 0)
    refused = await search_stack.client.put(
        "/v1/settings/retention", json={"retention_days": 120}, headers=admin
    )
    assert refused.status_code == 422, refused.text
    assert "floor of 365 days and at most the ceiling of 365 days" in refused.json()["detail"]
    assert "could not be read" in refused.json()["detail"]


async def _seed_held(stack: SearchStack, plate: str, days_ago: float) -> dict[str, Any]:
    row = {**_row(plate, days_ago), "crop_key": f"crops/CA0019400/{uuid.uuid4().hex}.jpg"}
    resp = await stack.client.post("/v1/detections:batch", json={"detections": [row]}, headers=stack.service)
    assert resp.status_code == 200
    return row


async def test_a_released_hold_expires_with_its_evidence_an_active_one_stays_issue_17(
    search_stack: SearchStack,
) -> None:
    """R16, R17, issue 17: once released, a hold's snapshots, its objects and its evidence packages
    expire with the agency's period; an active hold's stay."""
    search_stack.sharing.policies["CA0019400"] = _policy(100)
    supervisor = bearer(search_stack.infra.mint(sub="sup-1", roles=["supervisor"]))
    released_row = await _seed_held(search_stack, "REL150", 150)
    active_row = await _seed_held(search_stack, "ACT150", 150)
    recent_row = await _seed_held(search_stack, "REL050", 50)
    holds: dict[str, str] = {}
    packages: dict[str, str] = {}
    for name, ids in (("released", [released_row["id"], recent_row["id"]]), ("active", [active_row["id"]])):
        created = await search_stack.client.post(
            "/v1/holds",
            headers=supervisor,
            json={"case_number": "2026-000777", "reason": "homicide investigation", "detection_ids": ids},
        )
        assert created.status_code == 201, created.text
        holds[name] = created.json()["id"]
        exported = await search_stack.client.post(f"/v1/holds/{holds[name]}/export", headers=supervisor)
        assert exported.status_code == 200, exported.text
        packages[name] = exported.json()["key"]
        assert stored_object(search_stack.settings, packages[name])
    released = await search_stack.client.post(f"/v1/holds/{holds['released']}:release", headers=supervisor)
    assert released.status_code == 200

    report = await _run_purge(search_stack, 90, evidence=True)
    [call] = _stub_purges
    assert call.keep_keys == [active_row["crop_key"]]  # the released hold's image is not kept
    assert report.snapshots_by_agency == {"CA0019400": 1}
    assert report.packages_by_agency == {"CA0019400": [packages["released"]]}
    assert not stored_object(search_stack.settings, packages["released"])
    assert stored_object(search_stack.settings, packages["active"])
    kept = {
        name: [
            i["plate"]
            for i in (await search_stack.client.get(f"/v1/holds/{hid}", headers=supervisor)).json()["items"]
        ]
        for name, hid in holds.items()
    }
    assert kept == {"released": ["REL050"], "active": ["ACT150"]}  # only the expired snapshot goes
    [event] = await search_stack.audit_events(action="retention.purged")
    assert (event["data"]["hold_snapshots"], event["data"]["evidence_packages"]) == (1, 1)


async def test_a_hit_keeps_its_crop_past_its_detection_R14(search_stack: SearchStack) -> None:
    """R14, issue 17: where the agency's hits keep their crop, the purge names the crops of the hits
    hotlist still keeps, and ingest keeps them; without that rule none is named."""
    search_stack.sharing.policies.update(
        {"CA0019400": _policy(100, keep_crop=True), "CA0010900": _policy(100, keep_crop=False)}
    )
    hit = f"crops/CA0019400/{uuid.uuid4().hex}.jpg"
    _stub_hit_crops.update({"CA0019400": [hit], "CA0010900": ["crops/CA0010900/not-asked.jpg"]})
    rows = [
        {**_row("HIT150", 150), "crop_key": hit},
        _row("OTHER150", 150, agency="CA0010900"),
    ]
    await search_stack.client.post(
        "/v1/detections:batch", json={"detections": rows}, headers=search_stack.service
    )
    try:
        report = await _run_purge(search_stack, 90)
    finally:
        _stub_hit_crops.clear()
    crops = {c.agency: c.keep_crops for c in _stub_purges}
    assert crops == {"CA0019400": [hit], "CA0010900": []}
    assert report.hit_crops_by_agency == {"CA0019400": 1, "CA0010900": 0}
    assert await _plates(search_stack.settings.database_url) == []  # the detections themselves go
