"""``/v1/searches``: purpose-bound searches of the agency's detections (R5-R8)."""

from __future__ import annotations

from fastapi import APIRouter

from alpr_common import Action, AuditUnavailable, DbReader, DbSession, PurposeProhibited, view

from ..context import Ctx
from ..roles import Searcher
from . import service
from .schemas import SearchRequest, SearchResponse

router = APIRouter(tags=["searches"])


@router.post(
    "/v1/searches",
    **view(
        Action.SEARCH_EXECUTED,
        Action.DETECTION_VIEWED,
        Action.SEARCH_REQUEST_USED,
        refuses=(PurposeProhibited, AuditUnavailable),
    ),
)
async def post_search(
    ctx: Ctx, reader: DbReader, session: DbSession, principal: Searcher, body: SearchRequest
) -> SearchResponse:
    """Searches the agency's detections for a stated purpose and case (R5-R8); audited first. A
    search in a warrant-style tier runs with its legal process or its supervisor's approval,
    which it uses once (issue 17)."""
    return await service.search(ctx, reader, principal, body, session)
