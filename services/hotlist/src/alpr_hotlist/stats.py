"""``GET /v1/stats?agency=``: aggregate counts only (R22, R23), never a record."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Access,
    DbSession,
    Forbidden,
    NotFound,
    StatsAgency,
    TrainingRequired,
    Unauthenticated,
    access,
    problem_responses,
)

from .alerts.repository import counts_by_state, misreads_by_source
from .clock import now
from .entries import repository as entries
from .hotlists import repository as hotlists
from .vocabulary import AlertState

router = APIRouter(tags=["stats"])


class MisreadsBySource(BaseModel):
    camera_id: uuid.UUID
    model_version: str = Field(description="The recognition model version; `unknown` where not reported.")
    checked: int = Field(description="Alerts an officer has checked (closed or moved past `alert`).")
    misreads: int = Field(description="Of those, closed as misread.")


class HotlistStats(BaseModel):
    agency: str
    hotlists: int
    active_entries: int
    pending_entries: int
    hits: int = Field(description="Alerts made.")
    hits_by_state: dict[str, int]
    misread_rate: float | None = Field(
        description="R22: misreads among alerts an officer has checked (closed or moved past `alert`)."
    )
    misreads_by_source: list[MisreadsBySource] = Field(
        description="R22: checked alerts and misreads per camera and recognition model version."
    )


async def compute(session: AsyncSession, agency: str) -> HotlistStats:
    n_lists = await hotlists.count(session, agency)
    entry_counts = await entries.counts(session, agency, now())
    by_state = await counts_by_state(session, agency)
    checked = sum(n for state, n in by_state.items() if state != AlertState.ALERT)
    return HotlistStats(
        agency=agency,
        hotlists=n_lists,
        active_entries=entry_counts.active,
        pending_entries=entry_counts.pending,
        hits=sum(by_state.values()),
        hits_by_state=by_state,
        misread_rate=round(by_state.get(AlertState.MISREAD, 0) / checked, 4) if checked else None,
        misreads_by_source=[
            MisreadsBySource.model_validate(r, from_attributes=True)
            for r in await misreads_by_source(session, agency)
        ],
    )


@router.get(
    "/v1/stats",
    response_model=HotlistStats,
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, NotFound),
    openapi_extra=access(Access.READ),
)
async def get_stats(session: DbSession, agency: StatsAgency) -> HotlistStats:
    """Counts for one agency: lists, entries, alerts by state and the misread rate (R22)."""
    return await compute(session, agency)
