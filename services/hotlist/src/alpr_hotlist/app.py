"""The hotlist service's FastAPI app: ``uvicorn --factory alpr_hotlist.app:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from alpr_common import (
    AgencyPolicyClient,
    MisreadCounter,
    OutboundClient,
    create_service_app,
)

from . import SERVICE, tables
from .alerts.endpoints import router as alerts_router
from .alerts.feed import AlertFeed
from .alerts.hit_crops import router as hit_crops_router
from .context import HotlistContext
from .entries.endpoints import router as entries_router
from .hotlists.endpoints import router as hotlists_router
from .matching.endpoints import document_body
from .matching.endpoints import router as matching_router
from .settings import Settings
from .shared import router as shared_router
from .sources import sync
from .sources.endpoints import router as sources_router
from .sources.service import deps_of
from .stats import router as stats_router
from .telemetry import HotlistMetrics
from .webhooks import dispatcher
from .webhooks.endpoints import document_webhooks
from .webhooks.endpoints import router as webhooks_router


def create_app(settings: Settings | None = None) -> FastAPI:
    # Settings it cannot run with end the process with a one-line message, not a traceback.
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        outbound = OutboundClient(settings.outbound_policy, timeout=settings.feed_timeout_seconds)
        metrics = HotlistMetrics(app.state.metrics.registry)
        ctx = HotlistContext(
            settings=settings,
            store=app.state.object_store,
            clients=app.state.clients,
            http=app.state.http,
            outbound=outbound,
            feed=AlertFeed(),
            sessions=app.state.sessionmaker,
            misreads=MisreadCounter(
                app.state.metrics.registry,
                "alpr_hotlist_misreads_total",
                "Alerts closed as misread by an officer (R22), by recognition model version.",
            ),
            ledger=app.state.ledger,
            metrics=metrics,
            policies=AgencyPolicyClient(app.state.clients.sharing),
        )
        app.state.hotlist = ctx
        hooks = dispatcher.dispatcher(
            app.state.engine, ctx.outbound, settings, ctx.presign, app.state.metrics.registry, metrics
        )
        alongside = [
            ctx.feed.run(app.state.engine),
            metrics.run(app.state.engine, settings.metrics_refresh_seconds),
        ]
        if settings.scheduler:
            alongside.append(sync.run_scheduler(deps_of(ctx)))
        async with outbound, hooks.running(*alongside):
            yield

    app = create_service_app(
        service=SERVICE,
        settings=settings,
        routers=[
            hotlists_router,
            entries_router,
            sources_router,
            matching_router,
            alerts_router,
            webhooks_router,
            stats_router,
            shared_router,
            hit_crops_router,
        ],
        uses_object_store=True,
        lifespan=lifespan,
        ledger_outbox=tables.outbox_messages,
    )
    document_body(app)
    document_webhooks(app)
    return app
