"""The ingest service's FastAPI app: ``uvicorn --factory alpr_ingest.app:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from alpr_common import Problem, create_service_app, problem_response

from . import SERVICE, tables
from .cameras.endpoints import router as cameras_router
from .context import IngestContext
from .frames.endpoints import router as frames_router
from .outbox import fanout
from .reads.endpoints import router as reads_router
from .settings import Settings
from .stats import QueueMetrics
from .stats import router as stats_router
from .storage import ObjectStore

UPLOAD_PATHS = ("/v1/frames", "/v1/reads")


class BodyLimit:
    """Refuses an upload whose declared size is over the limit before reading a byte (413)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path") in UPLOAD_PATHS:
            length = dict(scope.get("headers", [])).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.limit:
                refusal = Problem(
                    type="urn:alpr:problem:payload-too-large",
                    title="Payload too large",
                    status=413,
                    detail=f"Uploads are limited to {self.limit} bytes.",
                )
                await problem_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    # Settings it cannot run with end the process with a one-line message, not a traceback.
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ingest = IngestContext(
            settings,
            ObjectStore(app.state.object_store, settings.s3_bucket),
            app.state.clients,
            app.state.ledger,
        )
        metrics = QueueMetrics(app.state.metrics.registry)
        reads_out = fanout.dispatcher(
            app.state.engine, app.state.clients, settings, app.state.metrics.registry
        )
        # On shutdown sends in flight finish and are recorded, then the metrics stop.
        async with reads_out.running(metrics.run(app.state.engine, settings)):
            yield

    app = create_service_app(
        service=SERVICE,
        settings=settings,
        routers=[cameras_router, frames_router, reads_router, stats_router],
        uses_object_store=True,
        lifespan=lifespan,
        ledger_outbox=tables.outbox_messages,
    )
    # Multipart overhead on top of the largest image and an overview image.
    app.add_middleware(BodyLimit, limit=2 * settings.max_image_bytes + 256 * 1024)
    return app
