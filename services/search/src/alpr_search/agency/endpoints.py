"""``/v1/settings``: an agency's own settings of the detection store (R16)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from alpr_common import (
    Action,
    AdminPrincipal,
    AuditUnavailable,
    DbSession,
    Principal,
    Role,
    change,
    read,
    require_roles,
)

from ..context import Ctx
from . import service
from .schemas import RetentionIn, RetentionPublic

router = APIRouter(tags=["settings"])
Admin = AdminPrincipal
Reader = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN, Role.AUDITOR, Role.SUPERVISOR))]


@router.get(
    "/v1/settings/retention",
    response_model=RetentionPublic,
    **read(),
)
async def get_retention(ctx: Ctx, session: DbSession, principal: Reader) -> RetentionPublic:
    """The caller's agency's retention period."""
    return await service.retention(session, principal.agency, ctx.settings.retention_days, ctx.policies)


@router.put(
    "/v1/settings/retention",
    response_model=RetentionPublic,
    **change(Action.AGENCY_UPDATED, refuses=(AuditUnavailable,)),
)
async def set_retention(ctx: Ctx, session: DbSession, principal: Admin, body: RetentionIn) -> RetentionPublic:
    """Sets the agency's retention period (R16); the next purge applies it. Once the agency has a
    policy of its own, the policy's period wins and a value outside its floor and ceiling is
    refused with 422 (R33, issue 17). Audited."""
    return await service.set_retention(ctx, session, principal, body)
