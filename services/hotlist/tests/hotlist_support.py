"""Helpers of the hotlist tests: the stack (the real audit service and the hotlist service on
loopback ports), tokens of each role, and shortcuts for lists, entries and reads."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from alpr_common import LEDGER_TOPIC, async_database_url
from alpr_devstack.alpr_command import run_alpr_async
from alpr_devstack.testing import ActsAs, ServiceStack
from alpr_hotlist.settings import Settings

AGENCY = "CA0019400"


@dataclass
class SseReader:
    """The events of a text/event-stream, fed one line at a time (comments are the caller's)."""

    current: dict[str, Any] = field(default_factory=dict)

    def feed(self, line: str) -> dict[str, Any] | None:
        """The event that ``line`` ends (its ``id``, ``event`` and parsed ``data``), if any."""
        if line.startswith("id: "):
            self.current["id"] = line[4:]
        elif line.startswith("event: "):
            self.current["event"] = line[7:]
        elif line.startswith("data: "):
            self.current["data"] = json.loads(line[6:])
        elif line == "" and "data" in self.current:
            event, self.current = self.current, {}
            return event
        return None


@dataclass
class HotlistStack(ServiceStack, ActsAs):
    """The hotlist service on a loopback port (``url``); ``as_(sub, *roles)``: a person's bearer
    header."""

    url: str
    feed_dir: Path
    tokens: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.base.settings_as(Settings)

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("adm-1", "alpr_admin")

    @property
    def service(self) -> dict[str, str]:
        return self.as_("svc-ingest", "service", name="ingest")

    async def hotlist(self, name: str | None = None, kind: str = "local_bolo", **extra: Any) -> str:
        body = {"name": name or f"list-{uuid.uuid4().hex[:8]}", "kind": kind, "priority": 1, **extra}
        resp = await self.client.post("/v1/hotlists", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])

    async def entry(
        self, hotlist_id: str, plate: str, state: str = "CA", *, approve: bool = True, **extra: Any
    ) -> str:
        """A local entry entered by an operator and, unless told otherwise, approved by the admin."""
        body = {"plate": plate, "state": state, "case_number": "2026-000123", "synopsis": "stolen", **extra}
        resp = await self.client.post(
            f"/v1/hotlists/{hotlist_id}/entries", json=body, headers=self.as_("op-1", "operator")
        )
        assert resp.status_code == 201, resp.text
        entry_id = str(resp.json()["id"])
        if approve:
            resp = await self.client.post(
                f"/v1/hotlists/{hotlist_id}/entries/{entry_id}:approve", json={}, headers=self.admin
            )
            assert resp.status_code == 200, resp.text
        return entry_id

    async def match(self, *reads: dict[str, Any]) -> httpx.Response:
        return await self.client.post("/v1/matches", json={"reads": list(reads)}, headers=self.service)

    async def alerts(self, **params: Any) -> list[dict[str, Any]]:
        resp = await self.client.get("/v1/alerts", params=params, headers=self.as_("op-1", "operator"))
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    async def audit_events(self, **params: str) -> list[dict[str, Any]]:
        return await self.infra.ledger_events(self.audit_url, **params)

    async def ledgered(self, want: int, timeout: float = 10.0, **params: str) -> list[dict[str, Any]]:
        """Ledger events once ``want`` of them are there (the ledger outbox ships in the background)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            events = await self.audit_events(**params)
            if len(events) >= want or asyncio.get_running_loop().time() > deadline:
                return events
            await asyncio.sleep(0.05)

    async def ledger_drained(self, timeout: float = 10.0) -> None:
        """Waits until hotlist's ledger outbox holds nothing undelivered: what it will ship, it has
        shipped, so the ledger's events can be counted (no duplicate can still be on its way)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            [(pending,)] = await self.sql(
                "SELECT count(*) FROM hotlist.outbox_messages "
                "WHERE topic = :topic AND delivered_at IS NULL AND dead_at IS NULL",
                topic=LEDGER_TOPIC,
            )
            if pending == 0:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{pending} ledger events never shipped"
            await asyncio.sleep(0.05)

    def cli_env(self, **extra: str) -> dict[str, str]:
        """The environment an `alpr hotlist ...` command needs to reach this stack."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "AUDIT_URL": self.audit_url,
            "OIDC_ISSUER": self.settings.oidc_issuer,
            "HOTLIST_CLIENT_ID": "svc-hotlist-test",
            "HOTLIST_CLIENT_SECRET": self.settings.client_secret.get_secret_value(),
            **extra,
        }

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = create_async_engine(async_database_url(self.database_url))
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()


def read(plate: str, region: str = "CA", agency: str = AGENCY, **extra: Any) -> dict[str, Any]:
    return {
        "read_id": str(uuid.uuid4()),
        "plate": plate,
        "region": region,
        "confidence": 0.93,
        "captured_at": datetime.now(UTC).isoformat(),
        "camera_id": str(uuid.uuid4()),
        "agency": agency,
        "crop_key": f"crops/{agency}/2026/11/25/{uuid.uuid4()}.jpg",
        **extra,
    }


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`alpr` in a process of its own (the services it calls run on this test's loop)."""
    done = await run_alpr_async(*args, env=env)
    return done.returncode, done.stdout, done.stderr
