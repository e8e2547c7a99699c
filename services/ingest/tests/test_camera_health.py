"""Camera health (issue 20, item 1; R1; 002, Alameda 462.3(b)4: a check of the equipment at the
beginning of each shift): each camera judged against its own rhythm, shift checks recorded and
on the ledger. A week of history is written straight into the database (uploads cannot be
back-dated by a week); the newest frame arrives through the API."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from ingest_support import AGENCY, Stack, jpeg, post_frame

from alpr_devstack.alpr_command import run_alpr
from alpr_devstack.testing import bearer

STEP = timedelta(minutes=5)


async def _history(
    db: str,
    camera_id: str,
    *,
    silent_for: timedelta,
    read_share_week: float = 1.0,
    read_share_day: float = 1.0,
    frames: bool = True,
) -> None:
    """A camera that sent every 5 minutes for a week, until ``silent_for`` ago."""
    now = datetime.now(UTC)
    frame_rows: list[tuple[Any, ...]] = []
    read_rows: list[tuple[Any, ...]] = []
    at, n = now - timedelta(days=7), 0
    while at <= now - silent_for:
        n += 1
        share = read_share_day if at >= now - timedelta(days=1) else read_share_week
        frame_id = uuid.uuid4() if frames else None
        if frame_id is not None:
            frame_rows.append(
                (frame_id, AGENCY, uuid.UUID(camera_id), frame_id.hex * 2, f"k/{frame_id}", "image/jpeg",
                 640, 480, 1000, at, "done", 1, at + timedelta(seconds=2))
            )  # fmt: skip
        if (n % 100) < share * 100:
            read_rows.append(
                (uuid.uuid4(), AGENCY, uuid.UUID(camera_id), frame_id, "server" if frames else "edge", at,
                 "7ABC123", "CA", 0.9, "[]", "{}", at + timedelta(seconds=3), "reader-v1")
            )  # fmt: skip
        at += STEP
    conn = await asyncpg.connect(db)
    try:
        await conn.executemany(
            "INSERT INTO ingest.frames (id, agency, camera_id, sha256, object_key, content_type, width, "
            "height, size_bytes, captured_at, status, attempts, created_at) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
            frame_rows,
        )
        await conn.executemany(
            "INSERT INTO ingest.reads (id, agency, camera_id, frame_id, source, captured_at, plate, region, "
            "confidence, candidates, vehicle, created_at, model_version) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb,$11::jsonb,$12,$13)",
            read_rows,
        )
    finally:
        await conn.close()


async def _table(stack: Stack, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    resp = await stack.client.get("/v1/cameras/health", headers=headers)
    assert resp.status_code == 200, resp.text
    return {c["camera_id"]: c for c in resp.json()["cameras"]}


async def test_each_camera_is_judged_against_its_own_rhythm(stack: Stack) -> None:
    """R1 / 002: ok, quiet, offline, degraded and inactive cameras told apart; the operator
    running the shift check may read the table, an investigator may not."""
    steady, token = await stack.camera()
    quiet, _ = await stack.camera()
    gone, _ = await stack.camera()
    degraded, _ = await stack.camera()
    edge, _ = await stack.camera(kind="mobile")
    never, _ = await stack.camera()
    inactive, _ = await stack.camera(status="inactive")
    db = stack.database_url
    await _history(db, steady, silent_for=timedelta(minutes=5))
    await _history(db, quiet, silent_for=timedelta(minutes=30))  # > 4 x 5 min, > 10 min
    await _history(db, gone, silent_for=timedelta(hours=3))  # > 24 x 5 min, > 1 h
    await _history(db, degraded, silent_for=timedelta(minutes=5), read_share_week=0.9, read_share_day=0.2)
    await _history(db, edge, silent_for=timedelta(minutes=5), frames=False)
    # The steady camera's newest frame arrives for real.
    uploaded = await post_frame(stack.client, steady, token, jpeg(3))
    assert uploaded.status_code == 202, uploaded.text

    operator = bearer(stack.infra.mint(sub="op-1", name="Otto Operator", roles=["operator"]))
    table = await _table(stack, operator)
    states = {cid: table[cid]["state"] for cid in (steady, quiet, gone, degraded, edge, never, inactive)}
    assert states == {
        steady: "ok",
        quiet: "quiet",
        gone: "offline",
        degraded: "degraded",
        edge: "ok",
        never: "offline",
        inactive: "inactive",
    }
    row = table[steady]
    assert row["expected_interval_learned"] is True
    assert 250 <= row["expected_interval_s"] <= 350  # one frame every 5 minutes, learned
    assert 11 <= row["frames_per_hour"] <= 13
    assert row["frames_without_read"] == 0.0
    assert row["model_version"] == "reader-v1"
    assert row["silent_s"] is not None
    assert row["silent_s"] < 60  # the frame just uploaded
    assert row["clock_skew_s"] is not None
    assert table[degraded]["frames_without_read"] > 0.7
    assert table[degraded]["frames_without_read_norm"] < 0.2
    assert table[never]["last_frame_at"] is None
    whole = (await stack.client.get("/v1/cameras/health", headers=operator)).json()
    assert whole["counts"] == {"ok": 2, "quiet": 1, "degraded": 1, "offline": 2, "inactive": 1}

    # The same table in a terminal (`alpr ingest cameras`), worst first.
    env = {**os.environ, "DATABASE_URL": stack.database_url}
    printed = run_alpr("ingest", "cameras", "--agency", AGENCY, env=env)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0].split()[:2] == ["state", "camera"]
    assert [line.split()[0] for line in lines[1:-1]] == [
        "offline", "offline", "quiet", "degraded", "ok", "ok", "inactive"
    ]  # fmt: skip
    assert lines[-1].startswith("7 cameras: 2 ok, 1 quiet, 1 degraded, 2 offline, 1 inactive")

    investigator = bearer(stack.infra.mint(sub="inv-1", roles=["investigator"]))
    refused = await stack.client.get("/v1/cameras/health", headers=investigator)
    assert refused.status_code == 403

    # An interval set by the administrator replaces the learned one: an hour's silence is normal.
    patched = await stack.client.patch(
        f"/v1/cameras/{quiet}", json={"expected_interval_s": 3600}, headers=stack.admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["expected_interval_s"] == 3600
    table = await _table(stack, operator)
    assert table[quiet]["state"] == "ok"
    assert table[quiet]["expected_interval_learned"] is False


async def test_a_shift_check_is_recorded_and_on_the_ledger(stack: Stack) -> None:
    """002, Alameda 462.3(b)4: who checked which camera, when, with what result; on the ledger
    once; another agency's camera is not found (R27)."""
    camera_id, _ = await stack.camera()
    operator = bearer(stack.infra.mint(sub="op-2", name="Olga Operator", roles=["operator"]))
    resp = await stack.client.post(
        f"/v1/cameras/{camera_id}/checks",
        json={"result": "fault", "note": "lens fogged"},
        headers=operator,
    )
    assert resp.status_code == 201, resp.text
    check = resp.json()
    assert check["checked_by"] == "Olga Operator"
    assert check["result"] == "fault"
    table = await _table(stack, operator)
    assert table[camera_id]["last_check_result"] == "fault"
    assert table[camera_id]["last_check_by"] == "Olga Operator"

    deadline = time.monotonic() + 30
    events: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=stack.audit_url) as audit:
        while time.monotonic() < deadline:
            got = await audit.get("/v1/events", params={"action": "camera.checked"}, headers=stack.auditor)
            events = got.json()["items"]
            if events:
                break
            await _pause()
    [event] = events
    assert event["targets"] == [camera_id]
    assert event["actor"]["sub"] == "op-2"
    assert event["data"]["result"] == "fault"
    assert "lens" not in json.dumps(event)  # the note stays in ingest

    other = bearer(stack.infra.mint(sub="op-x", agency="CA0010900", roles=["operator"]))
    hidden = await stack.client.post(f"/v1/cameras/{camera_id}/checks", json={"result": "ok"}, headers=other)
    assert hidden.status_code == 404
    bad = await stack.client.post(
        f"/v1/cameras/{camera_id}/checks", json={"result": "fine"}, headers=operator
    )
    assert bad.status_code == 422


async def _pause() -> None:
    await asyncio.sleep(0.1)
