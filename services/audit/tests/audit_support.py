"""Helpers of the audit tests: filling the ledger, changing it behind the service's back, and a
stand-in for another service that audit calls with its own service token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from fastapi import APIRouter
from pydantic import SecretStr

from alpr_audit.settings import Settings
from alpr_common import create_service_app
from alpr_devstack.testing import Infra, serve_http

EventFactory = Callable[..., dict[str, Any]]


async def superuser(url: str) -> asyncpg.Connection:
    """A connection that owns the database: what an attacker with its keys would hold."""
    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))


@dataclass(frozen=True)
class Ledger:
    """The audit service of one test as its tests use it: the client, its database (to change
    the ledger behind the service's back), a service's and an auditor's bearer headers, and the
    event factory."""

    client: httpx.AsyncClient
    db: str
    service: dict[str, str]
    auditor: dict[str, str]
    event: EventFactory

    async def fill(self, n: int) -> None:
        """Appends ``n`` events, case numbers ``2026-000000`` on."""
        events = [self.event(case_number=f"2026-{i:06d}") for i in range(n)]
        resp = await self.client.post("/v1/events", json={"events": events}, headers=self.service)
        assert resp.status_code == 201, resp.text

    async def verify(self, **params: int) -> dict[str, Any]:
        """What ``GET /v1/ledger/verify`` answers an auditor."""
        resp = await self.client.get("/v1/ledger/verify", params=params, headers=self.auditor)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def tamper(self, *statements: str) -> None:
        """Runs ``statements`` as a superuser with the ledger's triggers off (R30's last line of
        defence gone): only verification can show the change then."""
        conn = await superuser(self.db)
        try:
            await conn.execute("SET session_replication_role = replica")  # triggers off
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()


@dataclass(frozen=True)
class Owner:
    """Another service serving ``router`` over HTTP, and the client audit calls it as."""

    url: str
    client_id: str
    client_secret: str

    def settings_for(self, settings: Settings, url_setting: str) -> Settings:
        """``settings`` with ``url_setting`` (e.g. ``ingest_url``) pointing here and this client's
        credentials."""
        return settings.model_copy(
            update={
                url_setting: self.url,
                "client_id": self.client_id,
                "client_secret": SecretStr(self.client_secret),
            }
        )


@asynccontextmanager
async def serving_owner(
    infra: Infra, router: APIRouter, client_id: str, *, service: str = "owner", settings_of: str = "ingest"
) -> AsyncIterator[Owner]:
    app = create_service_app(
        service=service,
        settings=infra.settings(settings_of),
        description=service,
        routers=[router],
        uses_database=False,
    )
    secret = infra.register_client(client_id, roles=["service"])
    async with serve_http(app) as url:
        yield Owner(url, client_id, secret)
