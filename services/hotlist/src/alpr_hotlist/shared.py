"""``GET /v1/shared-entries?agency=`` (role ``service``: sharing's partner feed): the agency's
entries flagged shareable that are usable now (approved, unexpired, fresh), in the shape of the
partner feed (CONTRACT.md, `GET /v1/shared-hotlist`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alpr_common import DbSession, ServicePrincipal, SharedEntries, machine

from .context import Ctx
from .entries import service as entries

router = APIRouter(tags=["sharing"])
Service = ServicePrincipal


@router.get(
    "/v1/shared-entries",
    response_model=SharedEntries,
    **machine(),
)
async def shared_entries(
    ctx: Ctx,
    session: DbSession,
    principal: Service,
    agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$")],
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100_000,
) -> SharedEntries:
    """Internal: what sharing may offer partners whose MOU shares hotlists (R11: only fresh data)."""
    return await entries.shared_entries(ctx, session, agency, limit)
