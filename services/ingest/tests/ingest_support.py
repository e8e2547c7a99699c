"""Helpers of the ingest tests: images, forms, stub consumers for search and hotlist that
record what the outbox delivers, and the running stack with cameras and their tokens."""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import httpx
from PIL import Image

from alpr_devstack.consumers import StubConsumer as Consumer
from alpr_devstack.testing import ServiceStack, bearer, frame_form
from alpr_ingest.settings import Settings

AGENCY = "CA0019400"


def jpeg(seed: int = 0, size: tuple[int, int] = (640, 480), quality: int = 85) -> bytes:
    rng = random.Random(seed)
    img = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        img.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), (x, y, x + 40, y + 30))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()


@dataclass
class Stack(ServiceStack):
    """Ingest, its stand-ins for search and hotlist, and an admin's, recognition's and an
    auditor's bearer headers."""

    search: Consumer
    hotlist: Consumer
    admin: dict[str, str]
    service: dict[str, str]
    auditor: dict[str, str]

    @property
    def settings(self) -> Settings:
        return self.base.settings_as(Settings)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """The rows ``query`` answers, read straight from the stack's database."""
        conn = await asyncpg.connect(self.database_url)
        try:
            rows: list[asyncpg.Record] = await conn.fetch(query, *args)
            return rows
        finally:
            await conn.close()

    async def camera(
        self,
        *,
        client_id: str | None = None,
        agency: str = AGENCY,
        kind: str = "fixed",
        status: str = "active",
    ) -> tuple[str, dict[str, str]]:
        """Registers a camera (as its agency's admin) and answers its id and its device token."""
        client_id = client_id or f"cam-{uuid.uuid4().hex[:8]}"
        admin = (
            self.admin
            if agency == AGENCY
            else bearer(self.infra.mint(sub="adm-x", agency=agency, roles=["alpr_admin"]))
        )
        body: dict[str, Any] = {"name": client_id, "kind": kind, "client_id": client_id, "status": status}
        if kind == "fixed":
            body |= {"latitude": 37.33, "longitude": -121.89}
        resp = await self.client.post("/v1/cameras", json=body, headers=admin)
        assert resp.status_code == 201, resp.text
        token = self.infra.mint(
            sub=client_id,
            name=client_id,
            agency=agency,
            roles=["camera"],
            training_expires=None,
            client_id=client_id,
        )
        return resp.json()["id"], bearer(token)


async def post_frame(
    client: httpx.AsyncClient,
    camera_id: str,
    token: dict[str, str],
    image: bytes,
    captured_at: datetime | None = None,
    *,
    filename: str = "f.jpg",
) -> httpx.Response:
    """``POST /v1/frames`` as the camera's device sends it: ``image`` with the form of
    ``frame_form``."""
    return await client.post(
        "/v1/frames",
        data=frame_form(camera_id, captured_at),
        files={"image": (filename, image, "image/jpeg")},
        headers=token,
    )


async def post_read(
    client: httpx.AsyncClient, camera_id: str, token: dict[str, str], crop: bytes, **fields: str
) -> httpx.Response:
    """``POST /v1/reads`` as a camera that reads plates itself sends it: ``crop`` with the form of
    ``frame_form`` and the read's ``fields`` (plate, confidence, ...)."""
    return await client.post(
        "/v1/reads",
        data={**frame_form(camera_id), **fields},
        files={"crop": ("c.jpg", crop, "image/jpeg")},
        headers=token,
    )
