"""``POST /v1/matches`` (role ``service``: ingest's outbox)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from alpr_common import (
    Accepted,
    DbSession,
    Forbidden,
    MatchBatch,
    Principal,
    Role,
    TrainingRequired,
    Unauthenticated,
    ValidationProblem,
    problem_responses,
    require_roles,
)

from ..context import Ctx
from . import service

router = APIRouter(tags=["matching"])
Service = Annotated[Principal, Depends(require_roles(Role.SERVICE))]


@router.post(
    "/v1/matches",
    response_model=Accepted,
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, ValidationProblem),
)
async def post_matches(ctx: Ctx, session: DbSession, principal: Service, body: MatchBatch) -> Accepted:
    """Matches reads against the hotlists and raises alerts (internal; idempotent on read id).
    Acknowledged once every new alert is stored with its ledger event (shipped by the outbox)."""
    return await service.match_batch(ctx, session, principal, body)
