"""The audit service's FastAPI app: ``uvicorn --factory alpr_audit.app:create_app``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from alpr_common import AgencyPolicyClient, cancel_and_wait, create_service_app

from . import SERVICE
from .audits.endpoints import router as audits_router
from .checkpoints.endpoints import router as checkpoints_router
from .checkpoints.service import run_periodic
from .checkpoints.signing import generate_key, load_private_key
from .context import AuditContext
from .figures.endpoints import router as figures_router
from .ledger.endpoints import router as ledger_router
from .ledger.writer import LedgerWriter
from .reports.endpoints import public_router, reports_router
from .settings import Settings
from .telemetry import AuditMetrics

_log = structlog.get_logger("alpr.audit")


def create_app(settings: Settings | None = None) -> FastAPI:
    # Settings it cannot run with end the process with a one-line message, not a traceback.
    settings = settings or Settings.from_env()
    ephemeral = settings.signing_key is None
    key = (
        generate_key()
        if settings.signing_key is None
        else load_private_key(settings.signing_key.get_secret_value())
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if ephemeral:
            _log.warning("ephemeral_signing_key", hint="set AUDIT_SIGNING_KEY so checkpoints stay verifiable")
        metrics = AuditMetrics(app.state.metrics.registry, settings.checkpoint_every_minutes)
        writer = LedgerWriter(app.state.engine, metrics=metrics)
        writer.start()
        policies = AgencyPolicyClient(app.state.clients.sharing)
        app.state.audit = ctx = AuditContext(
            settings, app.state.engine, writer, key, app.state.clients, policies
        )
        periodic = asyncio.create_task(
            run_periodic(
                app.state.engine,
                key,
                settings.checkpoint_every_events,
                settings.checkpoint_every_minutes,
                settings.checkpoint_poll_seconds,
            )
        )
        watch = asyncio.create_task(
            metrics.run(app.state.engine, lambda: ctx.trusted_keys, settings.metrics_refresh_seconds)
        )
        try:
            yield
        finally:
            await cancel_and_wait((periodic, watch))
            await writer.stop()

    return create_service_app(
        service=SERVICE,
        settings=settings,
        routers=[
            ledger_router,
            checkpoints_router,
            audits_router,
            reports_router,
            public_router,
            figures_router,
        ],
        lifespan=lifespan,
    )
