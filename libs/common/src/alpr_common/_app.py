"""``create_service_app``: what every service shares (auth, problems, health, metrics,
logs, tracing, CORS, whoami), with engines and clients built in the lifespan."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Table

from ._auth import preflight
from ._clients import ServiceTransport, service_transport, tls_context
from ._database import check_database, make_engine, make_sessionmaker
from ._docs import install_docs
from ._edge import EdgeGuardMiddleware
from ._health import ReadinessCheck
from ._health import router as health_router
from ._ledger_outbox import LedgerOutbox
from ._observability import (
    Metrics,
    RequestContextMiddleware,
    configure_logging,
    configure_tracing,
    instrument_app,
    instrument_engine,
)
from ._openapi import document_contract, operation_id_generator, unavailable_operations
from ._pagination import cursor_key
from ._problems import document_problems, install_problem_handlers
from ._service_clients import ServiceClients
from ._settings import ServiceSettings, SettingsError
from ._storage import check_bucket, make_object_store
from ._tokens import TokenVerifier
from ._whoami import router as whoami_router

ServiceLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    service: str,
    settings: ServiceSettings,
    description: str | None = None,
    routers: Sequence[APIRouter] = (),
    uses_database: bool = True,
    uses_object_store: bool = False,
    lifespan: ServiceLifespan | None = None,
    version: str = "0.1.0",
    ledger_outbox: Table | None = None,
) -> FastAPI:
    """A FastAPI app for ``service`` with the platform's common surface.

    Nothing connects here: the HTTP client, token verifier, database engine, object-store
    client and service clients are made in the lifespan and disposed on shutdown.
    ``lifespan`` (optional) runs inside, after those exist on ``app.state``.
    ``description`` (the document's): by default the docstring of the service's package, the
    one that declares ``settings``' class.
    ``ledger_outbox``: the service's outbox table for the ledger events of its changes; its
    ``LedgerOutbox`` is ``app.state.ledger`` and its dispatcher runs with the app (issue 16).
    """
    configure_logging(service, settings.log_level, settings.log_json)
    configure_tracing(service)

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        readiness: dict[str, ReadinessCheck] = {}
        timeout = httpx.Timeout(10.0, connect=3.0)
        http = httpx.AsyncClient(timeout=timeout, verify=tls_context())
        async with http, _service_transport(timeout) as transport:
            app.state.http = http
            app.state.verifier = TokenVerifier(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                http=http,
                roles_claim=settings.oidc_roles_claim,
                jwks_url=settings.oidc_jwks_url,
                leeway_s=settings.oidc_leeway_s,
                jwks_cache_s=settings.oidc_jwks_cache_s,
                refresh_cooldown_s=settings.oidc_jwks_refresh_cooldown_s,
            )
            app.state.clients = ServiceClients.build(settings, http, transport)
            engine = None
            if uses_database:
                engine = make_engine(
                    settings.database_url,
                    application_name=f"alpr-{service}",
                    pool_size=settings.database_pool_size,
                    role=settings.database_role,
                    pre_ping=settings.database_pre_ping,
                )
                instrument_engine(engine)
                app.state.engine = engine
                app.state.sessionmaker = make_sessionmaker(engine)
                readiness["database"] = partial(check_database, engine)
            if uses_object_store:
                store = make_object_store(settings)
                app.state.object_store = store
                readiness["object_store"] = partial(check_bucket, store, settings.s3_bucket)
            app.state.readiness = readiness
            try:
                async with contextlib.AsyncExitStack() as running:
                    if ledger_outbox is not None and engine is not None:
                        app.state.ledger = LedgerOutbox(
                            engine,
                            ledger_outbox,
                            app.state.clients.audit,
                            registry=app.state.metrics.registry,
                            source=service,
                        )
                        await running.enter_async_context(app.state.ledger.running())
                    if lifespan is not None:
                        await running.enter_async_context(lifespan(app))
                    yield
            finally:
                if engine is not None:
                    await engine.dispose()

    app = FastAPI(
        title=f"ALPR {service}",
        description=_package_doc(settings) if description is None else description,
        version=version,
        lifespan=_lifespan,
        # Issue 18: Swagger UI and ReDoc from installed assets (``install_docs``), operation
        # ids that name the service.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id_generator(service),
    )
    install_docs(app)
    app.state.service_name = service
    app.state.settings = settings
    app.state.readiness = {}
    app.state.metrics = Metrics(service)
    app.state.cursor_key = cursor_key(settings.client_secret.get_secret_value())
    install_problem_handlers(app)
    _document_contract(app, service)
    app.state.auth_preflight = preflight
    app.include_router(health_router)
    app.include_router(whoami_router)
    for router in routers:
        app.include_router(router)
    if settings.cors_origin_list:
        # Issue 18: browsers on the listed origins only (exact matches, no wildcard), the headers
        # a client and an alert stream send (Last-Event-ID, Cache-Control), the ones it reads.
        # No credentials mode: the API takes bearer tokens and stream tickets, never cookies.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=_cors_origins(settings.cors_origin_list),
            allow_methods=CORS_METHODS,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            max_age=600,
        )
    instrument_app(app)
    app.add_middleware(
        EdgeGuardMiddleware,
        fastapi_app=app,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    app.add_middleware(RequestContextMiddleware, fastapi_app=app, metrics=app.state.metrics)
    return app


def _package_doc(settings: ServiceSettings) -> str:
    return sys.modules[settings.package()].__doc__ or ""


@asynccontextmanager
async def _service_transport(timeout: httpx.Timeout) -> AsyncIterator[ServiceTransport | None]:
    """The app's lean pool for calls to the other services (issue 16), closed with the app."""
    transport = service_transport(timeout)
    try:
        yield transport
    finally:
        if transport is not None:
            await transport.aclose()


CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_ALLOW_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "Last-Event-ID",
    "Cache-Control",
    "X-Request-ID",
    "traceparent",
    "tracestate",
]
CORS_EXPOSE_HEADERS = ["Link", "Location", "Retry-After", "WWW-Authenticate", "X-Request-ID"]


def _cors_origins(origins: list[str]) -> list[str]:
    """``CORS_ORIGINS`` as exact origins (``scheme://host[:port]``); a wildcard or a URL with a
    path stops the service naming the setting."""
    for origin in origins:
        parts = urlsplit(origin)
        try:
            parts.port  # noqa: B018 - a port that is not a number raises here
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or "*" in origin
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise SettingsError(
                "CORS_ORIGINS: each entry is an exact origin such as https://console.example.org "
                "(no wildcard, no path)"
            )
    return origins


def _document_contract(app: FastAPI, service: str) -> None:
    """/openapi.json describes the error answers as sent, problems (``document_problems``) and
    503s, with tags naming the service, streams as OpenAPI 3.1 has them and the issuer's
    sign-in (``document_contract``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = document_problems(generate())
            unavailable = unavailable_operations(app.router.routes)
            issuer = app.state.settings.oidc_issuer
            app.openapi_schema = document_contract(document, service, unavailable, oidc_issuer=issuer)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
