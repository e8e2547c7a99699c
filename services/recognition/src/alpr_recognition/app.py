"""The recognition service's FastAPI app: ``uvicorn --factory alpr_recognition.app:create_app``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI

from alpr_common import ServiceClients, create_service_app

from . import SERVICE
from .endpoints import router
from .engine import Engine
from .settings import Settings
from .telemetry import RecognitionMetrics
from .worker import Worker


def create_app(settings: Settings | None = None) -> FastAPI:
    # Settings it cannot run with end the process with a one-line message, not a traceback.
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine: Engine = app.state.engine
        app.state.readiness["model"] = engine.check
        # The model loads in a thread: /healthz answers at once, /readyz once it has loaded.
        loading = asyncio.create_task(anyio.to_thread.run_sync(engine.load))
        tasks = [loading]
        if settings.worker_enabled:
            clients: ServiceClients = app.state.clients
            worker = Worker(settings, engine, clients.ingest, app.state.http)
            tasks.append(asyncio.create_task(worker.run(), name="recognition-worker"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = create_service_app(
        service=SERVICE,
        settings=settings,
        routers=[router],
        uses_database=False,
        lifespan=lifespan,
    )
    app.state.engine = Engine(settings, RecognitionMetrics(app.state.metrics.registry))
    return app
