"""Search's routes: searches, detection views, batch intake from ingest, stats."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from alpr_common import (
    Accepted,
    Access,
    Action,
    AuditUnavailable,
    DbReader,
    DbSession,
    DetectionBatch,
    Forbidden,
    NotFound,
    Principal,
    Purpose,
    PurposeProhibited,
    Role,
    ServicePrincipal,
    StatsAgency,
    TrainingRequired,
    Unauthenticated,
    ValidationProblem,
    access,
    problem_responses,
    require_roles,
)

from .context import Ctx
from .detections import service as detections
from .detections.schemas import CorrectionIn, DetectionPublic
from .searches import service as searches
from .searches.schemas import SearchRequest, SearchResponse

router = APIRouter()
Searcher = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST, Role.SERVICE))]
Viewer = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST))]
Service = ServicePrincipal
_auth = (Unauthenticated, TrainingRequired, Forbidden)


class RetainedBeyond(BaseModel):
    count: int
    why: str


class CorrectionsBySource(BaseModel):
    camera_id: uuid.UUID
    model_version: str = Field(description="The recognition model version; `unknown` where not reported.")
    detections: int
    corrections: int = Field(description="Detections a person corrected as misread (R19).")


class SearchStats(BaseModel):
    agency: str
    detections_in_retention: int
    retained_beyond_six_months: RetainedBeyond
    corrections_by_source: list[CorrectionsBySource] = Field(
        description="R22: corrections per camera and recognition model version."
    )


@router.post(
    "/v1/searches",
    response_model=SearchResponse,
    tags=["searches"],
    responses=problem_responses(*_auth, PurposeProhibited, ValidationProblem, AuditUnavailable),
    openapi_extra=access(Access.VIEW, Action.SEARCH_EXECUTED, Action.DETECTION_VIEWED),
)
async def post_search(ctx: Ctx, reader: DbReader, principal: Searcher, body: SearchRequest) -> SearchResponse:
    """Searches the agency's detections for a stated purpose and case (R5-R8); audited first."""
    return await searches.search(ctx, reader, principal, body)


@router.get(
    "/v1/detections/{detection_id}",
    response_model=DetectionPublic,
    tags=["detections"],
    responses=problem_responses(*_auth, NotFound, PurposeProhibited, ValidationProblem, AuditUnavailable),
    openapi_extra=access(Access.VIEW, Action.DETECTION_VIEWED),
)
async def get_detection(
    ctx: Ctx,
    session: DbSession,
    principal: Viewer,
    detection_id: uuid.UUID,
    purpose: Purpose,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> DetectionPublic:
    """One detection of the agency, for a stated purpose; the view is audited first."""
    return await detections.view(ctx, session, principal, detection_id, purpose, case_number, reason)


@router.post(
    "/v1/detections/{detection_id}/corrections",
    response_model=DetectionPublic,
    tags=["detections"],
    responses=problem_responses(*_auth, NotFound, PurposeProhibited, ValidationProblem, AuditUnavailable),
    openapi_extra=access(Access.CHANGE, Action.DETECTION_CORRECTED),
)
async def correct_detection(
    ctx: Ctx, session: DbSession, principal: Viewer, detection_id: uuid.UUID, body: CorrectionIn
) -> DetectionPublic:
    """Corrects a misread (R19); the original read stays visible and on the ledger."""
    return await detections.correct(ctx, session, principal, detection_id, body)


@router.post(
    "/v1/detections:batch",
    response_model=Accepted,
    tags=["detections"],
    responses=problem_responses(*_auth, ValidationProblem),
    openapi_extra=access(Access.MACHINE),
)
async def post_detections(session: DbSession, principal: Service, body: DetectionBatch) -> Accepted:
    """Detections from ingest's outbox; idempotent on id (internal)."""
    return await detections.ingest_batch(session, body)


@router.get(
    "/v1/stats",
    response_model=SearchStats,
    tags=["stats"],
    responses=problem_responses(*_auth, NotFound),
    openapi_extra=access(Access.READ),
)
async def get_stats(ctx: Ctx, session: DbSession, agency: StatsAgency) -> dict[str, Any]:
    """Counts for one agency: detections in retention, data kept past six months, corrections (R22)."""
    return await detections.stats(ctx, session, agency)
