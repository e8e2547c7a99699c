"""``/v1/settings``: an agency's own settings of the detection store (R16)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from alpr_common import (
    Access,
    Action,
    AdminPrincipal,
    AuditUnavailable,
    DbSession,
    Forbidden,
    Principal,
    Role,
    TrainingRequired,
    Unauthenticated,
    ValidationProblem,
    access,
    problem_responses,
    require_roles,
)

from ..context import Ctx
from . import service
from .schemas import RetentionIn, RetentionPublic

router = APIRouter(tags=["settings"])
Admin = AdminPrincipal
Reader = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN, Role.AUDITOR, Role.SUPERVISOR))]
_errors = (Unauthenticated, TrainingRequired, Forbidden)


@router.get(
    "/v1/settings/retention",
    response_model=RetentionPublic,
    responses=problem_responses(*_errors),
    openapi_extra=access(Access.READ),
)
async def get_retention(ctx: Ctx, session: DbSession, principal: Reader) -> RetentionPublic:
    """The caller's agency's retention period."""
    return await service.retention(session, principal.agency, ctx.settings.retention_days, ctx.policies)


@router.put(
    "/v1/settings/retention",
    response_model=RetentionPublic,
    responses=problem_responses(*_errors, ValidationProblem, AuditUnavailable),
    openapi_extra=access(Access.CHANGE, Action.AGENCY_UPDATED),
)
async def set_retention(ctx: Ctx, session: DbSession, principal: Admin, body: RetentionIn) -> RetentionPublic:
    """Sets the agency's retention period (R16); the next purge applies it. Once the agency has a
    policy of its own, the policy's period wins and a value outside its floor and ceiling is
    refused with 422 (R33, issue 17). Audited."""
    return await service.set_retention(ctx, session, principal, body)
