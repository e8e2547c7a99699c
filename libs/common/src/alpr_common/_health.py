"""Liveness (``/healthz``), readiness (``/readyz``) and Prometheus ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ._access import Access, access

ReadinessCheck = Callable[[], Awaitable[None]]
_log = structlog.get_logger("alpr.health")

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    service: str


class Readiness(BaseModel):
    status: str
    service: str
    checks: dict[str, str]


@router.get("/healthz", response_model=Health, openapi_extra=access(Access.PUBLIC))
async def healthz(request: Request) -> Health:
    """Liveness: the process answers."""
    return Health(status="ok", service=request.app.state.service_name)


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness}},
    openapi_extra=access(Access.PUBLIC),
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: every dependency this service needs (database, object store) answers."""
    checks: dict[str, ReadinessCheck] = request.app.state.readiness
    names = list(checks)
    results = await asyncio.gather(*(checks[n]() for n in names), return_exceptions=True)
    report = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            _log.warning("not_ready", check=name, error=repr(result))
            report[name] = "failed"
        else:
            report[name] = "ok"
    ready = all(v == "ok" for v in report.values())
    body = Readiness(
        status="ready" if ready else "not_ready", service=request.app.state.service_name, checks=report
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False, openapi_extra=access(Access.PUBLIC))
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
