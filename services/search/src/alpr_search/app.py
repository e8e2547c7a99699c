"""The search service's FastAPI app: ``uvicorn --factory alpr_search.app:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from alpr_common import AgencyPolicyClient, MisreadCounter, create_service_app

from . import SERVICE, tables
from .agency.endpoints import router as agency_router
from .approvals.endpoints import router as approvals_router
from .context import SearchContext
from .detections.endpoints import router as detections_router
from .holds.endpoints import router as holds_router
from .searches.endpoints import router as searches_router
from .settings import Settings
from .stats import router as stats_router
from .telemetry import SearchMetrics


def create_app(settings: Settings | None = None) -> FastAPI:
    # Settings it cannot run with end the process with a one-line message, not a traceback.
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.search = SearchContext(
            settings,
            app.state.object_store,
            app.state.clients,
            MisreadCounter(
                app.state.metrics.registry,
                "alpr_search_corrections_total",
                "Detections corrected as misread (R19, R22), by recognition model version.",
            ),
            app.state.ledger,
            AgencyPolicyClient(app.state.clients.sharing),
            SearchMetrics(app.state.metrics.registry),
        )
        yield

    return create_service_app(
        service=SERVICE,
        settings=settings,
        routers=[
            searches_router,
            detections_router,
            stats_router,
            holds_router,
            agency_router,
            approvals_router,
        ],
        uses_object_store=True,
        lifespan=lifespan,
        ledger_outbox=tables.outbox_messages,
    )
