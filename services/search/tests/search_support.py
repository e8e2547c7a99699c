"""Helpers of the search tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Principal, Role, ServiceClients, create_service_app, make_engine, require_roles
from alpr_devstack.testing import FakeSharing, ServiceStack, serve_http, service_principal
from alpr_search.settings import Settings


@dataclass
class SearchStack(ServiceStack):
    """Search (``app``, served in this process), its stand-in for sharing, and ingest's, an
    investigator's and an auditor's bearer headers."""

    service: dict[str, str]
    investigator: dict[str, str]
    auditor: dict[str, str]
    app: FastAPI
    sharing: FakeSharing

    @property
    def settings(self) -> Settings:
        return self.base.settings_as(Settings)

    async def audit_events(self, **params: str) -> list[dict[str, Any]]:
        return await self.infra.ledger_events(self.audit_url, **params)


# A stand-in for ingest's internal purge, recording what search asks of it.
purge_calls: list[dict[str, Any]] = []
# What the stand-in answers for each agency's oldest frame (ISO time by agency; none by default).
oldest_frames: dict[str, str] = {}
ingest_stub = APIRouter()


class PurgeBody(BaseModel):
    agency: str
    captured_before: str
    keep_keys: list[str]


@ingest_stub.post("/v1/frames:purge")
async def stub_purge(
    body: PurgeBody, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
) -> dict[str, int]:
    purge_calls.append(body.model_dump())
    return {"frames": 3, "reads": 3, "objects": 6}


@ingest_stub.get("/v1/frames:oldest")
async def stub_oldest_frames(
    principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))],
) -> dict[str, list[dict[str, str]]]:
    return {"items": [{"agency": a, "oldest_captured_at": at} for a, at in sorted(oldest_frames.items())]}


# Search's purge as the tests run it: its clients' ingest and hotlist one stand-in app.
PURGE_ACTOR = service_principal("svc-search-test", "purge")


@asynccontextmanager
async def purging(
    stack: SearchStack, stubs: APIRouter = ingest_stub
) -> AsyncIterator[tuple[AsyncConnection, ServiceClients]]:
    """A connection in a transaction (committed at the end) and search's clients, whose ingest
    and hotlist are one stand-in app serving ``stubs``: what ``purge`` runs with in a test."""
    owner = create_service_app(
        service="ingest-stub",
        settings=stack.infra.settings("ingest"),
        description="stub",
        routers=[stubs],
        uses_database=False,
    )
    engine = make_engine(stack.settings.database_url, application_name="test-purge")
    try:
        async with serve_http(owner) as url, httpx.AsyncClient() as http:
            settings = stack.settings.model_copy(update={"ingest_url": url, "hotlist_url": url})
            async with engine.begin() as conn:
                yield conn, ServiceClients.build(settings, http)
    finally:
        await engine.dispose()
