"""``/v1/reports/sb34`` and the public ``/public/v1/transparency``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from alpr_common import Action, AuditUnavailable, DbSession, ValidationProblem, public, view

from ..context import Ctx
from ..roles import Reporter
from . import service
from .schemas import Sb34Report, Transparency

reports_router = APIRouter(tags=["reports"])
public_router = APIRouter(tags=["public"])


@reports_router.get(
    "/v1/reports/sb34",
    response_model=Sb34Report,
    **view(
        Action.REPORT_GENERATED,
        refuses=(AuditUnavailable,),
        responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
    ),
)
async def sb34_report(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: Reporter,
    start: Annotated[date, Query(alias="from", description="First day (inclusive).")],
    end: Annotated[date, Query(alias="to", description="Last day (inclusive).")],
) -> Response:
    """Searches by purpose, refused attempts, hits by final state and by disposition (R14),
    releases, purges and audits (R23).

    JSON by default; CSV with ``Accept: text/csv``."""
    if end < start:
        raise ValidationProblem("`to` is before `from`.")
    report = await service.sb34(ctx, await session.connection(), principal, start, end)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(service.sb34_csv(report), media_type="text/csv")
    return Response(report.model_dump_json(by_alias=True), media_type="application/json")


@public_router.get("/public/v1/transparency", response_model=Transparency, **public())
async def transparency(
    ctx: Ctx,
    session: DbSession,
    agency: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{2,32}$", description="Agency ORI.")] = None,
) -> Transparency:
    """The agency's published ALPR policy and aggregate statistics, with no record (R32)."""
    return await service.transparency(ctx, await session.connection(), agency or ctx.settings.public_agency)
