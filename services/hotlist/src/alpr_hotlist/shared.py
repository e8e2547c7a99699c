"""``GET /v1/shared-entries?agency=`` (role ``service``: sharing's partner feed): the agency's
entries flagged shareable that are usable now (approved, unexpired, fresh), in the shape of the
partner feed (CONTRACT.md, `GET /v1/shared-hotlist`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from alpr_common import (
    Access,
    DbSession,
    Forbidden,
    ServicePrincipal,
    SharedEntries,
    SharedEntry,
    TrainingRequired,
    Unauthenticated,
    ValidationProblem,
    access,
    problem_responses,
)

from .clock import now
from .context import Ctx
from .tables import entries, hotlists

router = APIRouter(tags=["sharing"])
Service = ServicePrincipal


@router.get(
    "/v1/shared-entries",
    response_model=SharedEntries,
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, ValidationProblem),
    openapi_extra=access(Access.MACHINE),
)
async def shared_entries(
    ctx: Ctx,
    session: DbSession,
    principal: Service,
    agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$")],
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100_000,
) -> SharedEntries:
    """Internal: what sharing may offer partners whose MOU shares hotlists (R11: only fresh data)."""
    stamp = now()
    fresh_since = stamp - timedelta(hours=ctx.settings.freshness_hours)
    q = (
        select(entries.c.plate, entries.c.state, hotlists.c.kind, entries.c.reason, entries.c.expires_at,
               entries.c.refreshed_at)
        .join(hotlists, hotlists.c.id == entries.c.hotlist_id)
        .where(
            entries.c.agency == agency,
            entries.c.shareable,
            entries.c.status == "active",
            or_(entries.c.expires_at.is_(None), entries.c.expires_at > stamp),
            or_(entries.c.origin == "local", entries.c.refreshed_at > fresh_since),
        )
        .order_by(entries.c.plate)
        .limit(limit)
    )  # fmt: skip
    rows = (await session.execute(q)).mappings().all()
    return SharedEntries(items=[SharedEntry.model_validate(dict(r)) for r in rows])
