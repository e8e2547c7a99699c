"""``/v1/settings``: an agency's own settings of the detection store (R16)."""

from __future__ import annotations

from fastapi import APIRouter

from alpr_common import Action, AdminPrincipal, AuditUnavailable, DbSession, change, read

from ..context import Ctx
from ..roles import SettingsReader
from . import service
from .schemas import RetentionIn, RetentionPublic

router = APIRouter(tags=["settings"])


@router.get("/v1/settings/retention", **read())
async def get_retention(ctx: Ctx, session: DbSession, principal: SettingsReader) -> RetentionPublic:
    """The caller's agency's retention period."""
    return await service.retention(session, principal.agency, ctx.settings.retention_days, ctx.policies)


@router.put("/v1/settings/retention", **change(Action.AGENCY_UPDATED, refuses=(AuditUnavailable,)))
async def set_retention(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: RetentionIn
) -> RetentionPublic:
    """Sets the agency's retention period (R16); the next purge applies it. Once the agency has a
    policy of its own, the policy's period wins and a value outside its floor and ceiling is
    refused with 422 (R33, issue 17). Audited."""
    return await service.set_retention(ctx, session, principal, body)
