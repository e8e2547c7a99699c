"""``GET /v1/whoami``: the validated principal, for front ends and for testing auth."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from ._access import Access, access
from ._auth import AnyPrincipal
from ._problems import TrainingRequired, Unauthenticated, problem_responses


class WhoAmI(BaseModel):
    """The caller as the platform sees it."""

    sub: str
    name: str
    agency: str
    roles: list[str]
    client_id: str | None
    training_expires: date | None


router = APIRouter(tags=["identity"])


@router.get(
    "/v1/whoami",
    response_model=WhoAmI,
    responses=problem_responses(Unauthenticated, TrainingRequired),
    openapi_extra=access(Access.READ),
)
async def whoami(principal: AnyPrincipal) -> WhoAmI:
    """The validated caller: subject, name, agency, roles, client id and training expiry."""
    return WhoAmI.model_validate(principal.identity())  # less the badge, which WhoAmI does not show
