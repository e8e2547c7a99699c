"""Helpers of the ingest tests: images, forms, stub consumers for search and hotlist that
record what the outbox delivers, and the running stack with cameras and their tokens."""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from PIL import Image

from alpr_common import (
    Accepted,
    DetectionBatch,
    MatchBatch,
    Principal,
    Role,
    create_service_app,
    require_roles,
)
from alpr_devstack.testing import Infra, bearer
from alpr_ingest.settings import Settings

AGENCY = "CA0019400"
# Module level: route annotations are resolved from this module's globals.
Service = Annotated[Principal, Depends(require_roles(Role.SERVICE))]


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
class Consumer:
    """A stand-in for search or hotlist that stores each read id once, like the real ones."""

    name: str
    up: bool = True
    received: list[str] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self, infra: Infra) -> FastAPI:
        router = APIRouter()
        consumer = self

        async def take(items: list[dict[str, Any]], key: str) -> Accepted:
            from alpr_common import Unavailable

            if not consumer.up:
                raise Unavailable(f"{consumer.name} is down")
            for item in items:
                consumer.received.append(str(item[key]))
                consumer.stored.setdefault(str(item[key]), item)
            return Accepted(accepted=len(items))

        if self.name == "search":

            @router.post("/v1/detections:batch")
            async def detections(body: DetectionBatch, principal: Service) -> Accepted:
                return await take([d.model_dump(mode="json") for d in body.detections], "id")
        else:

            @router.post("/v1/matches")
            async def matches(body: MatchBatch, principal: Service) -> Accepted:
                return await take([r.model_dump(mode="json") for r in body.reads], "read_id")

        return create_service_app(
            service=f"stub-{self.name}",
            settings=infra.settings("search"),
            description="stub",
            routers=[router],
            uses_database=False,
        )


@dataclass
class Stack:
    client: httpx.AsyncClient
    settings: Settings
    database_url: str
    audit_url: str
    search: Consumer
    hotlist: Consumer
    infra: Infra
    admin: dict[str, str]
    service: dict[str, str]
    auditor: dict[str, str]

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


def frame_form(camera_id: str, captured_at: datetime | None = None, **extra: str) -> dict[str, str]:
    return {
        "camera_id": camera_id,
        "captured_at": (captured_at or datetime.now(UTC)).isoformat(),
        "latitude": "37.3382",
        "longitude": "-121.8863",
        **extra,
    }
