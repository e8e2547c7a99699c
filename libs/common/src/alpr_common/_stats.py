"""``GET /v1/stats?agency=``, as every owning service scopes it: aggregate counts for one agency,
for a service (audit's reports) about any agency, for auditors and administrators about their own;
and each owner's answer, one wire model used by its route and by its client (issue 22, item 1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, Field

from ._access import Access, access
from ._auth import require_roles
from ._problems import Forbidden, NotFound, TrainingRequired, Unauthenticated, problem_responses
from ._roles import Role
from ._tokens import Principal


async def stats_agency(
    principal: Annotated[Principal, Depends(require_roles(Role.SERVICE, Role.AUDITOR, Role.ALPR_ADMIN))],
    agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$")],
) -> str:
    """The agency whose counts are asked for; another agency's are 404 to a person (R27)."""
    if not principal.has_any(Role.SERVICE) and agency != principal.agency:
        raise NotFound()
    return agency


StatsAgency = Annotated[str, Depends(stats_agency)]


def stats_route(
    router: APIRouter, model: type[BaseModel]
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """An owning service's ``GET /v1/stats`` on ``router``, answering ``model``: read access
    (``StatsAgency`` scopes it), and the problems that scoping can answer."""
    return router.get(
        "/v1/stats",
        response_model=model,
        responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, NotFound),
        openapi_extra=access(Access.READ),
    )


# What each owning service answers to ``GET /v1/stats`` (issue 22, item 1: one wire model, used by
# the owner's route and by its client). Counts only, never a record (R22, R23).


class IngestStats(BaseModel):
    """Ingest's counts for one agency: active cameras, frames waiting or failed, reads."""

    agency: str
    cameras: int
    frames_pending: int
    frames_failed: int
    reads: int


class RetainedBeyond(BaseModel):
    count: int
    why: str


class CorrectionsBySource(BaseModel):
    camera_id: uuid.UUID
    model_version: str = Field(description="The recognition model version; `unknown` where not reported.")
    detections: int
    corrections: int = Field(description="Detections a person corrected as misread (R19).")


class SearchStats(BaseModel):
    """The detection store's counts for one agency (R22, R23)."""

    agency: str
    detections_in_retention: int
    retained_beyond_six_months: RetainedBeyond
    corrections_by_source: list[CorrectionsBySource] = Field(
        description="R22: corrections per camera and recognition model version."
    )


class MisreadsBySource(BaseModel):
    camera_id: uuid.UUID
    model_version: str = Field(description="The recognition model version; `unknown` where not reported.")
    checked: int = Field(description="Alerts an officer has checked (closed or moved past `alert`).")
    misreads: int = Field(description="Of those, closed as misread.")


class HotlistStats(BaseModel):
    """Hotlist's counts for one agency: lists, entries, alerts by state, the misread rate (R22)."""

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


class SharingStats(BaseModel):
    """Sharing's counts for one agency: partners with an MOU in force, requests by status (R23)."""

    agency: str
    sharing_partners: int
    requests_by_status: dict[str, int]
