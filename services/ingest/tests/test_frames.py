"""POST /v1/frames: checked, content-addressed, idempotent uploads (R15, R18); bad input is a
4xx problem and stores nothing."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from ingest_support import Stack, jpeg, post_frame
from minio import Minio
from PIL import Image

from alpr_devstack.testing import frame_form, problem


def _store(stack: Stack) -> Minio:
    from alpr_common import make_object_store

    return make_object_store(stack.settings)


def _objects(stack: Stack, prefix: str = "frames/") -> list[str]:
    return [
        o.object_name
        for o in _store(stack).list_objects(stack.settings.s3_bucket, prefix=prefix, recursive=True)
        if o.object_name
    ]


async def _count(stack: Stack, table: str) -> int:
    return int((await stack.sql(f"SELECT count(*) FROM ingest.{table}"))[0][0])


def _png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares 10 gigapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


class TestUpload:
    async def test_anonymous_and_non_camera_are_refused(self, stack: Stack) -> None:
        camera_id, _ = await stack.camera()
        files = {"image": ("f.jpg", jpeg(), "image/jpeg")}
        assert (
            await stack.client.post("/v1/frames", data=frame_form(camera_id), files=files)
        ).status_code == 401
        resp = await stack.client.post(
            "/v1/frames", data=frame_form(camera_id), files=files, headers=stack.admin
        )
        assert resp.status_code == 403

    async def test_upload_then_duplicate_is_one_frame(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        image = jpeg(1)
        first = await post_frame(stack.client, camera_id, token, image)
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "queued"
        again = await post_frame(stack.client, camera_id, token, image, filename="g.jpg")
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        keys = _objects(stack)
        assert len(keys) == 1
        day = datetime.now(UTC)
        assert keys[0].startswith(f"frames/CA0019400/{day:%Y/%m/%d}/")
        assert keys[0].endswith(".jpg")
        assert await _count(stack, "frames") == 1

    async def test_late_upload_within_30_days_is_accepted_R18(self, stack: Stack) -> None:
        """R18: mobile units may upload up to 30 days late; the key is by capture date."""
        camera_id, token = await stack.camera(kind="mobile")
        captured = datetime.now(UTC) - timedelta(days=29)
        resp = await post_frame(stack.client, camera_id, token, jpeg(2), captured)
        assert resp.status_code == 202, resp.text
        assert _objects(stack)[0].startswith(f"frames/CA0019400/{captured:%Y/%m/%d}/")

    async def test_bad_input_is_a_4xx_and_stores_nothing(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        other_id, _ = await stack.camera(agency="CA0010900")
        unregistered = stack.infra.mint(
            sub="cam-ghost", roles=["camera"], training_expires=None, client_id="cam-ghost"
        )
        good = jpeg(3)
        corrupt = good[: len(good) // 2]
        gif = io.BytesIO()
        Image.new("RGB", (20, 20)).save(gif, format="GIF")
        now = datetime.now(UTC)
        cases: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str], int]] = [
            ("corrupt jpeg", frame_form(camera_id), {"image": ("f.jpg", corrupt, "image/jpeg")}, token, 422),
            ("zero bytes", frame_form(camera_id), {"image": ("f.jpg", b"", "image/jpeg")}, token, 422),
            ("png bomb", frame_form(camera_id), {"image": ("f.png", _png_bomb(), "image/png")}, token, 422),
            ("gif", frame_form(camera_id), {"image": ("f.gif", gif.getvalue(), "image/gif")}, token, 422),
            ("text", frame_form(camera_id), {"image": ("f.txt", b"hello world", "text/plain")}, token, 422),
            (
                "future",
                frame_form(camera_id, now + timedelta(minutes=10)),
                {"image": ("f.jpg", good, "image/jpeg")},
                token,
                422,
            ),
            (
                "31 days old",
                frame_form(camera_id, now - timedelta(days=31)),
                {"image": ("f.jpg", good, "image/jpeg")},
                token,
                422,
            ),
            (
                "bad latitude",
                frame_form(camera_id, latitude="123"),
                {"image": ("f.jpg", good, "image/jpeg")},
                token,
                422,
            ),
            (
                "unregistered camera",
                frame_form(camera_id),
                {"image": ("f.jpg", good, "image/jpeg")},
                {"Authorization": f"Bearer {unregistered}"},
                403,
            ),
            (
                "another agency's camera",
                frame_form(other_id),
                {"image": ("f.jpg", good, "image/jpeg")},
                token,
                403,
            ),
            ("no image", frame_form(camera_id), {}, token, 422),
        ]
        for name, form, files, headers, expected in cases:
            resp = await stack.client.post("/v1/frames", data=form, files=files or None, headers=headers)
            assert resp.status_code == expected, (name, resp.text)
            problem(resp)
        json_body = await stack.client.post("/v1/frames", json=frame_form(camera_id), headers=token)
        assert json_body.status_code == 422  # not multipart
        assert _objects(stack) == []
        assert await _count(stack, "frames") == 0

    async def test_60_mb_body_is_refused_before_reading(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        big = b"\xff\xd8" + b"\x00" * (60 * 1024 * 1024)
        resp = await post_frame(stack.client, camera_id, token, big, filename="big.jpg")
        assert resp.status_code == 413
        assert problem(resp)["type"] == "urn:alpr:problem:payload-too-large"
        assert _objects(stack) == []

    async def test_inactive_camera_cannot_upload(self, stack: Stack) -> None:
        camera_id, token = await stack.camera()
        patched = await stack.client.patch(
            f"/v1/cameras/{camera_id}", json={"status": "inactive"}, headers=stack.admin
        )
        assert patched.status_code == 200
        resp = await post_frame(stack.client, camera_id, token, jpeg())
        assert resp.status_code == 403


async def test_a_frame_listing_is_on_the_ledger_before_it_leaves(stack: Stack) -> None:
    """Issue 16: the listing shows where and when each camera saw something: a view, recorded
    with its actor and the frames it showed."""
    camera_id, token = await stack.camera()
    uploaded = await post_frame(stack.client, camera_id, token, jpeg(9))
    assert uploaded.status_code == 202, uploaded.text
    listed = await stack.client.get("/v1/frames", headers=stack.admin)
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()["items"]] == [uploaded.json()["id"]]
    async with httpx.AsyncClient(base_url=stack.audit_url) as audit:
        resp = await audit.get("/v1/events", params={"action": "frame.viewed"}, headers=stack.auditor)
    [event] = resp.json()["items"]
    assert event["targets"] == [uploaded.json()["id"]]
    assert event["actor"]["sub"] == "adm-1"
    assert event["data"] == {"list": True, "results": 1}
