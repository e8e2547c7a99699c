"""Structured JSON logs with a request id, Prometheus metrics by route template, and
OpenTelemetry tracing (FastAPI, httpx, SQLAlchemy) exported over OTLP when configured."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from sqlalchemy.exc import StatementError
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._pagination import cursor_key_var, cursor_route_var
from ._problems import PROBLEM_MEDIA_TYPE, ProblemError, error_summary

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: ContextVar[str | None] = ContextVar("alpr_request_id", default=None)

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:+/=-]{1,128}")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_logging_configured = False
_tracing_configured = False


def configure_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """structlog (and the stdlib loggers of uvicorn and libraries) as one JSON line per event."""
    global _logging_configured
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Tracebacks as data, without local variables: locals would carry bearer tokens.
        structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        ),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # One line per call to another service is the caller's access log's job, not httpx's.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The middleware below writes the access log; uvicorn's own would be a second line.
    logging.getLogger("uvicorn.access").disabled = True
    structlog.contextvars.bind_contextvars(service=service)
    _logging_configured = True


def _loggable(exc: BaseException) -> dict[str, Any]:
    """How an unexpected exception is logged. A database error's message and SQL carry
    statement parameters (plates, names, case data): it is logged by kind, SQLSTATE and the
    code location only (issue 19); any other exception with its traceback."""
    if isinstance(exc, StatementError | asyncpg.PostgresError | asyncpg.InterfaceError):
        frames = traceback.extract_tb(exc.__traceback__)[-8:]
        return {
            **error_summary(exc),
            "at": [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames],
        }
    return {"exc_info": exc}


class Metrics:
    """The Prometheus metrics of one app, in its own registry."""

    def __init__(self, service: str) -> None:
        # No `_created` series (issue 20): a process-wide switch of prometheus_client, thrown
        # here rather than at import (no side effects at import). Every metric of every service
        # renders after its app's Metrics exists; the custom collectors never emit them.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "alpr_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "alpr_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.in_flight = Gauge(
            "alpr_http_requests_in_flight", "Requests being served.", ["service"], registry=self.registry
        )
        # Set by the answers of /readyz (the kubelet's probe): a pod that answers /metrics but not
        # its readiness (database or object store down) is visible to alert rules, not only to
        # the Service's endpoints. No sample until the first probe.
        self.ready = Gauge(
            "alpr_service_ready",
            "1 when the last readiness probe (/readyz) answered 200, 0 when it answered otherwise.",
            ["service"],
            registry=self.registry,
        )
        self.service = service


class RouteTemplates:
    """Maps a request path to its route (``/v1/frames/{frame_id}``), so metrics are labelled by
    template and not by every id, and the edge guard can check a route's token and roles before
    a request reaches it. Built lazily from the app's routes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._compiled: list[tuple[re.Pattern[str], frozenset[str], Any]] | None = None

    def _build(self) -> list[tuple[re.Pattern[str], frozenset[str], Any]]:
        compiled = []
        for ctx in iter_route_contexts(self.app.router.routes):
            if ctx.path is None:
                continue
            regex, _, _ = compile_path(ctx.path)
            compiled.append((regex, frozenset(ctx.methods or ()), ctx))
        return compiled

    def lookup(self, path: str, method: str) -> Any:
        """The route context serving ``method path`` (``.path``, ``.dependant``), or one of the
        path's routes for another method, or None."""
        if self._compiled is None:
            self._compiled = self._build()
        fallback = None
        for regex, methods, ctx in self._compiled:
            if regex.match(path):
                if not methods or method in methods:
                    return ctx
                fallback = fallback or ctx
        return fallback

    def template(self, path: str, method: str) -> str:
        ctx = self.lookup(path, method)
        return str(ctx.path) if ctx is not None else "<unmatched>"


class RequestContextMiddleware:
    """Binds a request id (taken from ``X-Request-ID`` or made), echoes it, writes one
    access-log line and the request metrics, labelled by route template."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, metrics: Metrics) -> None:
        self.app = app
        self.templates = RouteTemplates(fastapi_app)
        self.metrics = metrics
        self.log = structlog.get_logger("alpr.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                incoming = value
        # A client's id is echoed and logged only when it is a plain token of at most 128
        # characters; anything else is replaced by our own (issue 19: no 10 KB ids in logs).
        request_id = (
            incoming.decode("ascii") if incoming and _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()
        route = self.templates.template(scope.get("path", ""), scope.get("method", "GET"))
        # A cursor is signed with this app's key and bound to this route (issue 16).
        key_token = cursor_key_var.set(getattr(self.templates.app.state, "cursor_key", None))
        route_token = cursor_route_var.set(route)
        method = scope.get("method", "GET")
        service = self.metrics.service

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        self.metrics.in_flight.labels(service).inc()
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send_wrapper(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            # Never a stack trace to a caller: log it and answer a plain 500 problem here,
            # inside the request context, so the answer still carries its request id.
            self.log.error("unhandled_error", path=scope.get("path"), **_loggable(exc))
            if response_started:
                raise
            status = 500
            body = ProblemError().to_problem(request_id).model_dump_json(exclude_none=True).encode()
            await send_wrapper(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.in_flight.labels(service).dec()
            self.metrics.requests.labels(service, method, route, str(status)).inc()
            self.metrics.latency.labels(service, method, route).observe(elapsed)
            if route == "/readyz":
                self.metrics.ready.labels(service).set(1 if status == 200 else 0)
            if scope.get("path") not in _QUIET_PATHS:
                self.log.info(
                    "request",
                    method=method,
                    path=scope.get("path"),
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)
            cursor_key_var.reset(key_token)
            cursor_route_var.reset(route_token)


def configure_tracing(service: str) -> None:
    """A tracer provider for the process; spans go to OTLP when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and nowhere otherwise. httpx is instrumented so
    the trace context travels with every call to another service."""
    global _tracing_configured
    if _tracing_configured:
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

    exporting = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    # Without an exporter nothing would read the spans: record none (the trace context is still
    # made and passed on, so a collector added later sees whole traces from its callers).
    sampler = ParentBased(ALWAYS_ON if exporting else ALWAYS_OFF)
    provider = TracerProvider(resource=Resource.create({"service.name": f"alpr-{service}"}), sampler=sampler)
    if exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    _tracing_configured = True


def instrument_app(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # One span per request; none per ASGI receive/send message (a 100 KB upload is dozens).
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"]
    )


def instrument_engine(engine: Any) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)


async def refresh_forever(refresh: Callable[[], Awaitable[None]], every_s: float, *, logger: Any) -> None:
    """Runs ``refresh`` (gauges read from the database) every ``every_s`` until cancelled. A
    failure never stops the service: it is logged when failures start, once a minute while they
    last and once when they end, not at every try (issue 20: a database down at start is logged
    once). A query cut short by shutdown ends the loop as cancelled."""
    failures, logged_at = 0, 0.0
    while True:
        try:
            await refresh()
        except Exception as exc:  # noqa: BLE001 - metrics must not stop the service
            task = asyncio.current_task()
            if task is not None and task.cancelling() > 0:
                raise asyncio.CancelledError from exc
            failures += 1
            if failures == 1 or time.monotonic() - logged_at >= 60:
                logged_at = time.monotonic()
                logger.warning("metrics_refresh_failed", error=repr(exc), failures_in_a_row=failures)
        else:
            if failures:
                logger.info("metrics_refresh_recovered", failures_in_a_row=failures)
            failures = 0
        await asyncio.sleep(every_s)
