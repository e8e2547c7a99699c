"""The sharing service's FastAPI app: ``uvicorn --factory alpr_sharing.app:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from alpr_common import OutboundClient, create_service_app

from . import SERVICE, notifications, tables
from .agencies.endpoints import router as agencies_router
from .context import SharingContext
from .mous.endpoints import router as mous_router
from .policy.endpoints import router as policy_router
from .public.endpoints import router as public_router
from .releases.endpoints import router as requests_router
from .settings import Settings
from .stats import router as stats_router


def create_app(settings: Settings | None = None) -> FastAPI:
    # Settings it cannot run with end the process with a one-line message, not a traceback.
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sharing = SharingContext(settings, app.state.clients, app.state.ledger)
        # Partners' webhooks are URLs given through the API: issue 19's outbound policy.
        outbound = OutboundClient(settings.outbound_policy, timeout=settings.notify_timeout_seconds)
        notices = notifications.dispatcher(app.state.engine, outbound, settings, app.state.metrics.registry)
        async with outbound, notices.running():
            yield

    app = create_service_app(
        service=SERVICE,
        settings=settings,
        routers=[
            agencies_router,
            policy_router,
            mous_router,
            requests_router,
            stats_router,
            public_router,
            notifications.router,
        ],
        lifespan=lifespan,
        ledger_outbox=tables.outbox_messages,
    )
    notifications.document_webhooks(app)
    return app
