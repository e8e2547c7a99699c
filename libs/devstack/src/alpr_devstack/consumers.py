"""Stand-ins for search and hotlist in tests of the services that feed them (ingest,
recognition's worker): they store each read id once, like the real ones, and can be taken down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI

from alpr_common import (
    Accepted,
    DetectionBatch,
    MatchBatch,
    Principal,
    Role,
    create_service_app,
    require_roles,
)

from .testing import AuditedService, Infra, audited_service, serve_http

# Module level: route annotations are resolved from this module's globals.
Service = Annotated[Principal, Depends(require_roles(Role.SERVICE))]


@dataclass
class StubConsumer:
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


@asynccontextmanager
async def ingest_with_stub_consumers(
    infra: Infra, *, client_id: str, prefix: str, **overrides: Any
) -> AsyncIterator[tuple[AuditedService, StubConsumer, StubConsumer]]:
    """Ingest's settings (``audited_service``) with stand-ins for search and hotlist serving its
    outbox on loopback ports: (the settings, the search stand-in, the hotlist stand-in)."""
    search, hotlist = StubConsumer("search"), StubConsumer("hotlist")
    async with (
        serve_http(search.app(infra)) as search_url,
        serve_http(hotlist.app(infra)) as hotlist_url,
        audited_service(
            infra,
            "ingest",
            client_id=client_id,
            prefix=prefix,
            search_url=search_url,
            hotlist_url=hotlist_url,
            **overrides,
        ) as base,
    ):
        yield base, search, hotlist
