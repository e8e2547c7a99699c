"""Legal holds and evidence (R17): held detections and their images survive retention, and an
evidence package verifies until one byte of it changes."""

from __future__ import annotations

import io
import subprocess
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from search_support import PURGE_ACTOR, SearchStack, purge_calls, purging

from alpr_common import make_object_store
from alpr_devstack.alpr_command import run_alpr
from alpr_devstack.testing import bearer
from alpr_search.retention.service import purge

NOW = datetime.now(UTC)


async def _seed(stack: SearchStack, plate: str, days_ago: float, region: str = "CA") -> dict[str, Any]:
    crop_key = f"crops/CA0019400/{uuid.uuid4().hex}.jpg"
    store = make_object_store(stack.settings)
    image = b"\xff\xd8crop-" + plate.encode()
    store.put_object(stack.settings.s3_bucket, crop_key, io.BytesIO(image), len(image))
    row = {
        "id": str(uuid.uuid4()),
        "agency": "CA0019400",
        "camera_id": str(uuid.uuid4()),
        "captured_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "plate": plate,
        "region": region,
        "confidence": 0.9,
        "crop_key": crop_key,
    }
    resp = await stack.client.post("/v1/detections:batch", json={"detections": [row]}, headers=stack.service)
    assert resp.status_code == 200
    return row


async def _hold(
    stack: SearchStack, headers: dict[str, str] | None, case_number: str, reason: str, **scope: Any
) -> httpx.Response:
    """``POST /v1/holds`` for ``case_number``, holding ``detection_ids`` or what ``search`` finds."""
    body = {"case_number": case_number, "reason": reason, **scope}
    return await stack.client.post("/v1/holds", headers=headers, json=body)


async def test_held_detections_survive_retention_R17(search_stack: SearchStack, tmp_path: Path) -> None:
    held = await _seed(search_stack, "HELD001", 120)
    gone = await _seed(search_stack, "GONE001", 120)
    supervisor = bearer(search_stack.infra.mint(sub="sup-1", roles=["supervisor"]))
    anonymous = await _hold(search_stack, None, "2026-000777", "homicide", detection_ids=[held["id"]])
    assert anonymous.status_code == 401
    operator = bearer(search_stack.infra.mint(roles=["operator"]))
    refused = await _hold(search_stack, operator, "2026-000777", "homicide", detection_ids=[held["id"]])
    assert refused.status_code == 403
    created = await _hold(
        search_stack, supervisor, "2026-000777", "homicide investigation", detection_ids=[held["id"]]
    )
    assert created.status_code == 201, created.text
    hold_id = created.json()["id"]

    purge_calls.clear()
    async with purging(search_stack) as (conn, clients):
        report = await purge(conn, clients, PURGE_ACTOR, 90)
    assert report.detections == 2
    assert purge_calls[0]["keep_keys"] == [held["crop_key"]]  # the held image stays in the store
    hold = (await search_stack.client.get(f"/v1/holds/{hold_id}", headers=supervisor)).json()
    assert [i["plate"] for i in hold["items"]] == ["HELD001"]  # outlives its partition
    assert gone["id"] not in str(hold)
    # Issue 16: the view of a hold (detections with image URLs) is on the ledger.
    [viewed] = await search_stack.audit_events(action="hold.viewed")
    assert viewed["targets"][0] == hold_id
    assert viewed["actor"]["sub"] == "sup-1"

    exported = await search_stack.client.post(f"/v1/holds/{hold_id}/export", headers=supervisor)
    assert exported.status_code == 200, exported.text
    async with httpx.AsyncClient() as http:
        package = (await http.get(exported.json()["url"])).content
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        names = set(zf.namelist())
    assert {"manifest.json", "detections.json", "detections.csv", f"images/{held['crop_key']}"} <= names
    good = tmp_path / "evidence.zip"
    good.write_bytes(package)

    def verify_export(package: Path) -> subprocess.CompletedProcess[str]:
        return run_alpr("search", "verify-export", str(package))

    ok = verify_export(good)
    assert ok.returncode == 0, ok.stderr
    # One changed byte inside a stored file fails verification.
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["detections.csv"] = members["detections.csv"].replace(b"HELD001", b"HELD002")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    bad = tmp_path / "tampered.zip"
    bad.write_bytes(buffer.getvalue())
    broken = verify_export(bad)
    assert broken.returncode == 1
    assert "detections.csv" in broken.stderr
    events = {e["action"] for e in await search_stack.audit_events()}
    assert {"hold.created", "hold.exported", "retention.purged"} <= events

    released = await search_stack.client.post(f"/v1/holds/{hold_id}:release", headers=supervisor)
    assert released.status_code == 200
    assert (
        await search_stack.client.post(f"/v1/holds/{hold_id}:release", headers=supervisor)
    ).status_code == 409


async def test_a_hold_by_search_holds_every_detection_it_finds_R17(search_stack: SearchStack) -> None:
    first = await _seed(search_stack, "7ABC123", 3)
    second = await _seed(search_stack, "7ABC124", 4)
    await _seed(search_stack, "8XYZ999", 3)
    await _seed(search_stack, "7ABC125", 40)  # outside the window
    supervisor = bearer(search_stack.infra.mint(sub="sup-1", roles=["supervisor"]))
    window = {"from": (NOW - timedelta(days=10)).isoformat(), "to": NOW.isoformat()}
    created = await _hold(
        search_stack,
        supervisor,
        "2026-000778",
        "burglary series",
        search={"purpose": "criminal_investigation", "plate": "7ABC*", **window},
    )
    assert created.status_code == 201, created.text
    held = sorted(i["id"] for i in created.json()["items"])
    assert held == sorted([first["id"], second["id"]])
    [event] = await search_stack.audit_events(action="hold.created")
    assert "7ABC*" in str(event["data"])  # the criteria are on the ledger
    # Issue 16: a hold by search is recorded as the search it is, with every criterion.
    [recorded] = await search_stack.audit_events(action="search.executed")
    assert recorded["outcome"] == "allowed"
    assert recorded["purpose"] == "criminal_investigation"
    assert recorded["case_number"] == "2026-000778"
    assert recorded["data"]["plate"] == "7ABC*"
    assert recorded["data"]["hold_id"] == created.json()["id"]
    assert sorted(recorded["targets"]) == held
    nothing = {"purpose": "criminal_investigation", "plate": "0NONE00", **window}
    empty = await _hold(search_stack, supervisor, "2026-000779", "x", search=nothing)
    assert empty.status_code == 422
    neither = await _hold(search_stack, supervisor, "2026-000779", "x")
    assert neither.status_code == 422


async def test_a_hold_by_state_follows_the_search_state_rule_issue_21(search_stack: SearchStack) -> None:
    """Issue 21, item 4: a hold by search with a `state` holds what that search finds, detections
    of unknown state included unless `include_unknown_state` is false."""
    ca = await _seed(search_stack, "5STA001", 2)
    unknown = await _seed(search_stack, "5STA002", 2, region="unknown")
    await _seed(search_stack, "5STA003", 2, region="NV")
    supervisor = bearer(search_stack.infra.mint(sub="sup-1", roles=["supervisor"]))
    window = {"from": (NOW - timedelta(days=10)).isoformat(), "to": NOW.isoformat()}

    async def held(**switch: bool) -> list[str]:
        search = {"purpose": "criminal_investigation", "plate": "5STA*", "state": "CA", **window, **switch}
        created = await _hold(search_stack, supervisor, "2026-000780", "by state", search=search)
        assert created.status_code == 201, created.text
        return sorted(i["id"] for i in created.json()["items"])

    assert await held() == sorted([ca["id"], unknown["id"]])
    assert await held(include_unknown_state=False) == [ca["id"]]


async def test_a_hold_by_search_needs_what_a_search_needs_and_refusals_are_recorded(
    search_stack: SearchStack,
) -> None:
    """Issue 16 (R5-R8): no purpose, a prohibited purpose, a case number not in the agency's
    pattern or a range longer than a search's: refused, nothing held, each attempt recorded."""
    await _seed(search_stack, "7ABC123", 3)
    supervisor = bearer(search_stack.infra.mint(sub="sup-1", roles=["supervisor"]))
    window = {"from": (NOW - timedelta(days=10)).isoformat(), "to": NOW.isoformat()}
    attempts: list[tuple[dict[str, Any], str, int]] = [
        ({"plate": "7ABC*", **window}, "2026-000780", 422),
        ({"purpose": "personal_use", "plate": "7ABC*", **window}, "2026-000780", 403),
        ({"purpose": "criminal_investigation", "plate": "7ABC*", **window}, "not a case", 422),
        ({"purpose": "criminal_investigation", "plate": "7ABC*"}, "2026-000780", 422),
        (
            {
                "purpose": "criminal_investigation",
                "from": (NOW - timedelta(days=4000)).isoformat(),
                "to": NOW.isoformat(),
            },
            "2026-000780",
            422,
        ),
    ]
    for search, case_number, status in attempts:
        resp = await _hold(search_stack, supervisor, case_number, "looking", search=search)
        assert resp.status_code == status, (search, resp.text)
    refused = await search_stack.audit_events(action="search.executed", outcome="refused")
    assert len(refused) == len(attempts)
    assert all(e["data"].get("hold") is True for e in refused)
    assert {e["outcome_reason"] for e in refused} >= {"purpose-prohibited"}
    assert await search_stack.audit_events(action="hold.created") == []
