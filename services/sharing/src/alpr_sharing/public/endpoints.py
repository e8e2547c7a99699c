"""``/public/agencies`` and ``/public/agencies/{ori}``: each agency's published ALPR policy as
HTML, with no token (SB 34: the policy is public; R32: aggregates, never a record)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from alpr_common import DbSession, NotFound, public

from ..agencies.schemas import ORI_PATTERN
from ..context import Ctx
from . import render, service

router = APIRouter(tags=["public"])
Ori = Annotated[str, Path(pattern=ORI_PATTERN, description="The agency's ORI.")]


def _html(content: str) -> HTMLResponse:
    return HTMLResponse(content, headers=render.HEADERS)


@router.get("/public/agencies", response_class=HTMLResponse, **public())
async def list_public_agencies(session: DbSession) -> HTMLResponse:
    """The agencies of this deployment that publish an ALPR policy, each linked to its page (HTML)."""
    return _html(render.agency_list(await service.agencies(session)))


@router.get("/public/agencies/{ori}", response_class=HTMLResponse, **public(refuses=(NotFound,)))
async def get_public_agency_page(ctx: Ctx, session: DbSession, ori: Ori) -> HTMLResponse:
    """The agency's published policy in force, with every 1798.90.51(b) element, its version and
    date, and aggregate figures with charts (HTML, no script)."""
    return _html(render.agency_page(await service.agency_page(ctx, session, ori)))
