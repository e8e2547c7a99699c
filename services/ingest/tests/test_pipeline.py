"""The pipeline: leased work for recognition (exactly once across workers, redelivered after a
lease expires, dead-lettered after N tries), reads stored with their crops and fanned out to
search and hotlist through the outbox, edge reads, and consumers that are down."""

from __future__ import annotations

import asyncio
import base64
import functools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from ingest_support import Stack, jpeg, post_frame, post_read

from alpr_devstack.testing import frame_form, problem


async def _upload(
    stack: Stack, camera_id: str, token: dict[str, str], seed: int, captured_at: datetime | None = None
) -> str:
    resp = await post_frame(stack.client, camera_id, token, jpeg(seed, size=(320, 240)), captured_at)
    assert resp.status_code == 202, resp.text
    return str(resp.json()["id"])


async def _until_count(stack: Stack, query: str, want: int, timeout: float = 20.0) -> None:
    """Polls a ``SELECT count(*)`` until it answers ``want``; fails at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (got := (await stack.sql(query))[0][0]) != want:
        assert asyncio.get_running_loop().time() < deadline, f"{query!r}: {got}, not {want}"
        await asyncio.sleep(0.05)


async def _until_metrics(stack: Stack, line: str, timeout: float = 20.0) -> None:
    """Polls ``/metrics`` until it shows ``line`` (the gauges refresh in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while line not in (await stack.client.get("/metrics")).text:
        assert asyncio.get_running_loop().time() < deadline, f"{line} never shown"
        await asyncio.sleep(0.05)


async def _until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


READ = {
    "plate": "7abc-123",
    "confidence": 0.93,
    "region": "CA",
    "region_confidence": 0.8,
    "box": {"x": 10, "y": 20, "w": 120, "h": 40},
    "candidates": [{"plate": "7ABC128", "confidence": 0.05}],
}


class TestWorkQueue:
    async def test_claim_is_service_only(self, stack: Stack) -> None:
        assert (await stack.client.post("/v1/frames:claim", json={})).status_code == 401
        assert (await stack.client.post("/v1/frames:claim", json={}, headers=stack.admin)).status_code == 403

    async def test_concurrent_workers_process_every_frame_exactly_once(self, stack: Stack) -> None:
        """4 workers draining 1,000 queued frames: each frame leased to one worker and done once."""
        camera_id, _ = await stack.camera()
        cam = await stack.sql("SELECT agency FROM ingest.cameras WHERE id = $1::uuid", camera_id)
        now = datetime.now(UTC)
        conn = await asyncpg.connect(stack.database_url)
        try:  # 1,000 queued frames written directly (uploading them is the benchmark's job)
            await conn.executemany(
                "INSERT INTO ingest.frames (id, agency, camera_id, sha256, object_key, content_type, width, "
                "height, size_bytes, captured_at, status, attempts, created_at) "
                "VALUES (gen_random_uuid(), $1, $2::uuid, $3, $4, 'image/jpeg', 320, 240, 1000, $5, "
                "'queued', 0, $5)",
                [(cam[0]["agency"], camera_id, f"{i:064x}", f"frames/x/{i}.jpg", now) for i in range(1000)],
            )
        finally:
            await conn.close()
        seen: dict[str, int] = {}

        async def worker(k: int) -> None:
            while True:
                resp = await stack.client.post(
                    "/v1/frames:claim", json={"max": 25, "lease_seconds": 60}, headers=stack.service
                )
                items = resp.json()["items"]
                if not items:
                    return
                for item in items:
                    seen[item["frame_id"]] = seen.get(item["frame_id"], 0) + 1
                    done = await stack.client.post(
                        f"/v1/frames/{item['frame_id']}/reads",
                        json={"lease_id": item["lease_id"], "reads": []},
                        headers=stack.service,
                    )
                    assert done.status_code == 201, done.text

        await asyncio.gather(*(worker(k) for k in range(4)))
        assert len(seen) == 1000
        assert set(seen.values()) == {1}
        statuses = await stack.sql("SELECT status, count(*) FROM ingest.frames GROUP BY status")
        assert [(r[0], r[1]) for r in statuses] == [("done", 1000)]

    async def test_killed_worker_frames_come_back_after_the_lease(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        frame_id = await _upload(stack, camera_id, token, 11)
        first = (
            await stack.client.post(
                "/v1/frames:claim", json={"max": 5, "lease_seconds": 5}, headers=stack.service
            )
        ).json()["items"]
        assert [i["frame_id"] for i in first] == [frame_id]
        # The worker dies: nothing comes back; while the lease holds, nobody else gets the frame.
        assert (await stack.client.post("/v1/frames:claim", json={}, headers=stack.service)).json()[
            "items"
        ] == []
        await stack.sql("UPDATE ingest.frames SET lease_expires_at = now() - interval '1 second'")
        second = (await stack.client.post("/v1/frames:claim", json={}, headers=stack.service)).json()["items"]
        assert [i["frame_id"] for i in second] == [frame_id]
        late = await stack.client.post(
            f"/v1/frames/{frame_id}/reads",
            json={"lease_id": first[0]["lease_id"], "reads": [READ]},
            headers=stack.service,
        )
        assert late.status_code == 409  # the dead worker's lease is gone: nothing stored
        assert problem(late)["type"] == "urn:alpr:problem:conflict"
        ok = await stack.client.post(
            f"/v1/frames/{frame_id}/reads",
            json={"lease_id": second[0]["lease_id"], "reads": [READ]},
            headers=stack.service,
        )
        assert ok.status_code == 201, ok.text
        assert len(await stack.sql("SELECT id FROM ingest.reads")) == 1

    async def test_frame_that_keeps_failing_goes_to_dead_letters(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        frame_id = await _upload(stack, camera_id, token, 12)
        for _ in range(stack.settings.max_attempts):
            items = (await stack.client.post("/v1/frames:claim", json={}, headers=stack.service)).json()[
                "items"
            ]
            assert [i["frame_id"] for i in items] == [frame_id]
            await stack.sql("UPDATE ingest.frames SET lease_expires_at = now() - interval '1 second'")
        assert (await stack.client.post("/v1/frames:claim", json={}, headers=stack.service)).json()[
            "items"
        ] == []
        failed = (
            await stack.client.get("/v1/frames", params={"status": "failed"}, headers=stack.admin)
        ).json()
        assert [f["id"] for f in failed["items"]] == [frame_id]
        assert failed["items"][0]["attempts"] == stack.settings.max_attempts


class TestFanOut:
    async def test_reads_reach_search_and_hotlist_with_their_crop(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        frame_id = await _upload(stack, camera_id, token, 13)
        item = (await stack.client.post("/v1/frames:claim", json={}, headers=stack.service)).json()["items"][
            0
        ]
        async with httpx.AsyncClient() as http:  # the presigned URL serves the frame to the worker
            assert (await http.get(item["image_url"])).status_code == 200
        crop = base64.b64encode(jpeg(99, size=(120, 40))).decode()
        stored = await stack.client.post(
            f"/v1/frames/{frame_id}/reads",
            json={"lease_id": item["lease_id"], "reads": [READ, {**READ, "plate": "8XYZ999", "crop": crop}]},
            headers=stack.service,
        )
        assert stored.status_code == 201, stored.text
        read_ids = stored.json()["read_ids"]
        await _until(
            lambda: set(stack.search.stored) == set(read_ids) and set(stack.hotlist.stored) == set(read_ids)
        )
        detection = stack.search.stored[read_ids[0]]
        assert detection["plate"] == "7ABC123"  # normalised (R8 matching works on normalised text)
        assert detection["region"] == "CA"
        assert detection["frame_key"].startswith("frames/CA0019400/")
        assert detection["crop_key"].startswith("crops/CA0019400/")
        assert stack.hotlist.stored[read_ids[1]]["plate"] == "8XYZ999"
        # The state's confidence travels to hotlist, which lets a doubtful state match (issue 21).
        assert stack.hotlist.stored[read_ids[0]]["region"] == "CA"
        assert stack.hotlist.stored[read_ids[0]]["region_confidence"] == 0.8
        from alpr_common import make_object_store

        store = make_object_store(stack.settings)
        for rid in read_ids:  # both crops exist: one cut from the frame by its box, one as sent
            obj = store.get_object(stack.settings.s3_bucket, stack.search.stored[rid]["crop_key"])
            assert obj.read()[:2] == b"\xff\xd8"
            obj.close()

    async def test_model_version_is_stored_and_forwarded_R22(self, stack: Stack) -> None:
        """R22: the model version a read was made with, from recognition or from the edge, is
        kept on the read and travels to search and hotlist (absent: null)."""
        camera_id, token = await stack.camera()
        frame_id = await _upload(stack, camera_id, token, 14)
        item = (await stack.client.post("/v1/frames:claim", json={}, headers=stack.service)).json()["items"][
            0
        ]
        stored = await stack.client.post(
            f"/v1/frames/{frame_id}/reads",
            json={"lease_id": item["lease_id"], "reads": [{**READ, "model_version": "lpr-2026.11"}, READ]},
            headers=stack.service,
        )
        assert stored.status_code == 201, stored.text
        versioned, bare = stored.json()["read_ids"]
        edge_read = functools.partial(post_read, stack.client, camera_id, token, confidence="0.9")
        edge = await edge_read(jpeg(210, size=(120, 40)), plate="4EDG321", model_version="edge-7.2")
        assert edge.status_code == 202, edge.text
        edge_id = edge.json()["id"]
        want = {versioned: "lpr-2026.11", bare: None, edge_id: "edge-7.2"}
        rows = await stack.sql("SELECT id::text, model_version FROM ingest.reads")
        assert {r[0]: r[1] for r in rows} == want
        await _until(lambda: set(stack.search.stored) == set(want) and set(stack.hotlist.stored) == set(want))
        assert {rid: d["model_version"] for rid, d in stack.search.stored.items()} == want
        assert {rid: r["model_version"] for rid, r in stack.hotlist.stored.items()} == want
        too_long = await edge_read(jpeg(211, size=(120, 40)), plate="4EDG322", model_version="v" * 65)
        assert too_long.status_code == 422

    async def test_consumers_down_then_back_nothing_lost_nothing_doubled(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        stack.search.up = False
        stack.hotlist.up = False
        read_ids = []
        for seed in range(5):
            crop = jpeg(200 + seed, size=(120, 40))
            resp = await post_read(
                stack.client, camera_id, token, crop, plate=f"ABC{seed}00", confidence="0.9", region="CA"
            )
            assert resp.status_code == 202, resp.text
            read_ids.append(resp.json()["id"])
        # Every message tried and refused while the consumers are down: tried (attempts > 0),
        # still pending, none dead (a stub that is down stores nothing, so its store proves nothing).
        outbox = "SELECT count(*) FROM ingest.outbox_messages WHERE topic IN ('search', 'hotlist') AND "
        await _until_count(stack, outbox + "attempts > 0 AND delivered_at IS NULL AND dead_at IS NULL", 10)
        await _until_metrics(stack, 'alpr_ingest_outbox_pending{destination="search"} 5.0')
        stack.search.up = True
        stack.hotlist.up = True
        await _until(
            lambda: set(stack.search.stored) == set(read_ids) and set(stack.hotlist.stored) == set(read_ids)
        )
        # Drained: nothing left undelivered, so nothing more can arrive and the counts are final.
        await _until_count(stack, outbox + "delivered_at IS NULL", 0)
        assert Counter(stack.search.received) == Counter(read_ids)  # each delivered once
        assert Counter(stack.hotlist.received) == Counter(read_ids)

    async def test_edge_read_twice_is_one_read(self, stack: Stack) -> None:
        camera_id, token = await stack.camera(kind="mobile")
        form = {
            **frame_form(camera_id),
            "plate": "5SAM123",
            "confidence": "0.8",
            "box": '{"x":1,"y":2,"w":30,"h":10}',
            "vehicle": '{"make": "Toyota", "color": "blue"}',
        }
        files = {
            "crop": ("c.png", jpeg(300, size=(100, 30)), "image/jpeg"),
            "overview": ("o.jpg", jpeg(301), "image/jpeg"),
        }
        first = await stack.client.post("/v1/reads", data=form, files=files, headers=token)
        assert first.status_code == 202, first.text
        again = await stack.client.post("/v1/reads", data=form, files=files, headers=token)
        assert again.status_code == 200
        assert again.json() == first.json()
        await _until(lambda: first.json()["id"] in stack.search.stored)
        detection = stack.search.stored[first.json()["id"]]
        assert detection["vehicle"] == {"make": "Toyota", "color": "blue"}
        assert detection["frame_key"]  # the overview is kept as the read's frame
        frames = await stack.sql("SELECT status FROM ingest.frames")
        assert [f[0] for f in frames] == ["done"]  # read on the edge: not queued for recognition
        bad = await stack.client.post("/v1/reads", data={**form, "box": "{nope"}, files=files, headers=token)
        assert bad.status_code == 422


class TestViewsPurgeStats:
    async def test_frame_view_needs_a_purpose_and_is_audited_R5_R7(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        frame_id = await _upload(stack, camera_id, token, 21)
        investigator = {"Authorization": f"Bearer {stack.infra.mint(sub='inv-1', roles=['investigator'])}"}
        no_case = await stack.client.get(
            f"/v1/frames/{frame_id}", params={"purpose": "stolen_vehicle"}, headers=investigator
        )
        assert no_case.status_code == 422  # R5: a case number
        banned = await stack.client.get(
            f"/v1/frames/{frame_id}",
            params={"purpose": "immigration_enforcement", "case_number": "2026-000123"},
            headers=investigator,
        )
        assert banned.status_code == 403
        assert problem(banned)["type"] == "urn:alpr:problem:purpose-prohibited"
        ok = await stack.client.get(
            f"/v1/frames/{frame_id}",
            params={"purpose": "stolen_vehicle", "case_number": "2026-000123"},
            headers=investigator,
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["image_url"].startswith("http")
        other_token = stack.infra.mint(sub="inv-9", agency="CA0010900", roles=["investigator"])
        other = {"Authorization": f"Bearer {other_token}"}
        hidden = await stack.client.get(
            f"/v1/frames/{frame_id}",
            params={"purpose": "stolen_vehicle", "case_number": "2026-000123"},
            headers=other,
        )
        assert hidden.status_code == 404  # R27
        async with httpx.AsyncClient() as http:
            events = (
                await http.get(
                    f"{stack.audit_url}/v1/events", params={"action": "frame.viewed"}, headers=stack.auditor
                )
            ).json()["items"]
        # Every refusal is on the ledger with why (issue 16), not only a prohibited purpose.
        assert [(e["outcome"], e["purpose"]) for e in events] == [
            ("allowed", "stolen_vehicle"),
            ("refused", "immigration_enforcement"),
            ("refused", "stolen_vehicle"),
        ]

    async def test_purge_keeps_held_keys_and_removes_the_rest(self, stack: Stack) -> None:
        camera_id, token = await stack.camera(kind="mobile")
        old = datetime.now(UTC) - timedelta(days=20)
        ids = [await _upload(stack, camera_id, token, 40 + i, captured_at=old) for i in range(3)]
        recent = await _upload(stack, camera_id, token, 50)
        keys = {r[0]: r[1] for r in await stack.sql("SELECT id::text, object_key FROM ingest.frames")}
        resp = await stack.client.post(
            "/v1/frames:purge",
            headers=stack.service,
            json={
                "agency": "CA0019400",
                "captured_before": (old + timedelta(days=1)).isoformat(),
                "keep_keys": [keys[ids[0]]],
            },
        )
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"frames": 2, "reads": 0, "objects": 2}
        left = {r[0] for r in await stack.sql("SELECT id::text FROM ingest.frames")}
        assert left == {ids[0], recent}

    async def test_oldest_frame_of_each_agency_for_the_retention_purge_R16(self, stack: Stack) -> None:
        """R16: search's purge asks for every agency with frames, so frames that never produced a
        read (no detection of theirs can expire) are purged too."""
        camera_id, token = await stack.camera(kind="mobile")
        oldest = (datetime.now(UTC) - timedelta(days=25)).replace(microsecond=0)
        await _upload(stack, camera_id, token, 60, captured_at=oldest)
        await _upload(stack, camera_id, token, 61)
        assert (await stack.client.get("/v1/frames:oldest")).status_code == 401
        assert (await stack.client.get("/v1/frames:oldest", headers=stack.admin)).status_code == 403
        resp = await stack.client.get("/v1/frames:oldest", headers=stack.service)
        assert resp.status_code == 200, resp.text
        items = {i["agency"]: datetime.fromisoformat(i["oldest_captured_at"]) for i in resp.json()["items"]}
        [(expected,)] = await stack.sql(
            "SELECT min(captured_at) FROM ingest.frames WHERE agency = $1", "CA0019400"
        )
        assert expected <= oldest
        assert items == {"CA0019400": expected}

    async def test_stats_and_cameras(self, stack: Stack) -> None:
        await stack.camera()
        await stack.camera(status="inactive")
        dup = await stack.client.post(
            "/v1/cameras",
            headers=stack.admin,
            json={
                "name": "x",
                "kind": "mobile",
                "client_id": (await stack.sql("SELECT client_id FROM ingest.cameras"))[0][0],
            },
        )
        assert dup.status_code == 409
        fixed_without_position = await stack.client.post(
            "/v1/cameras", headers=stack.admin, json={"name": "x", "kind": "fixed", "client_id": "c-x"}
        )
        assert fixed_without_position.status_code == 422
        assert (
            problem(fixed_without_position)["errors"][0]["msg"]
            == "a fixed camera needs latitude and longitude"
        )
        stats = await stack.client.get("/v1/stats", params={"agency": "CA0019400"}, headers=stack.service)
        assert stats.json()["cameras"] == 1
        other = {
            "Authorization": f"Bearer {stack.infra.mint(sub='a', agency='CA0010900', roles=['auditor'])}"
        }
        assert (
            await stack.client.get("/v1/stats", params={"agency": "CA0019400"}, headers=other)
        ).status_code == 404
        listed = (await stack.client.get("/v1/cameras", headers=stack.admin)).json()["items"]
        assert len(listed) == 2
        async with httpx.AsyncClient() as http:
            events = (
                await http.get(
                    f"{stack.audit_url}/v1/events", params={"action": "camera.created"}, headers=stack.auditor
                )
            ).json()["items"]
        assert len(events) == 2
        random.seed(0)
