"""A confirmed hit keeps its plate crop past its detection (R14, issue 17): the purge keeps the
read and its crop named in ``keep_crops`` (not its frame), names the read's agency as one with
old data, and deletes both once the crop is no longer named (the hit purged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from ingest_support import Stack, jpeg

from alpr_devstack.testing import frame_form, stored_object


async def test_a_hit_s_crop_outlives_its_frame_until_the_hit_goes_R14(stack: Stack) -> None:
    camera_id, token = await stack.camera(kind="mobile")
    old = datetime.now(UTC) - timedelta(days=20)
    reads = []
    for n, plate in enumerate(("5HIT123", "5GON123")):
        form = {**frame_form(camera_id, captured_at=old), "plate": plate, "confidence": "0.8"}
        files = {
            "crop": ("c.jpg", jpeg(400 + n, size=(100, 30)), "image/jpeg"),
            "overview": ("o.jpg", jpeg(410 + n), "image/jpeg"),
        }
        resp = await stack.client.post("/v1/reads", data=form, files=files, headers=token)
        assert resp.status_code == 202, resp.text
        reads.append(resp.json()["id"])
    rows = {
        r["plate"]: (r["crop_key"], r["frame_key"])
        for r in await stack.sql("SELECT plate, crop_key, frame_key FROM ingest.reads")
    }
    hit_crop, hit_frame = rows["5HIT123"]
    gone_crop, gone_frame = rows["5GON123"]
    assert all(stored_object(stack.settings, k) for k in (hit_crop, hit_frame, gone_crop, gone_frame))
    before = (old + timedelta(days=1)).isoformat()

    resp = await stack.client.post(
        "/v1/frames:purge",
        headers=stack.service,
        json={"agency": "CA0019400", "captured_before": before, "keep_crops": [hit_crop]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"frames": 2, "reads": 1, "objects": 3}
    assert stored_object(stack.settings, hit_crop)  # the hit's crop stays ...
    others = (hit_frame, gone_crop, gone_frame)
    assert not any(stored_object(stack.settings, k) for k in others)  # ... nothing else
    left = await stack.sql("SELECT plate, frame_id FROM ingest.reads")
    assert [(r["plate"], r["frame_id"]) for r in left] == [("5HIT123", None)]
    assert await stack.sql("SELECT id FROM ingest.frames") == []
    # Its agency is still named as one with old data (a read without a frame).
    oldest = await stack.client.get("/v1/frames:oldest", headers=stack.service)
    [item] = oldest.json()["items"]
    assert item["agency"] == "CA0019400"
    assert datetime.fromisoformat(item["oldest_captured_at"]) < datetime.now(UTC) - timedelta(days=19)

    # The hit is purged: its crop is no longer named, and the next purge deletes it.
    resp = await stack.client.post(
        "/v1/frames:purge", headers=stack.service, json={"agency": "CA0019400", "captured_before": before}
    )
    assert resp.json() == {"frames": 0, "reads": 1, "objects": 1}
    assert not stored_object(stack.settings, hit_crop)
    assert await stack.sql("SELECT id FROM ingest.reads") == []
    async with httpx.AsyncClient() as http:
        events = await http.get(
            f"{stack.audit_url}/v1/events", params={"action": "frame.purged"}, headers=stack.auditor
        )
    assert [e["data"]["hit_crops_kept"] for e in events.json()["items"]] in ([1, 0], [0, 1])
