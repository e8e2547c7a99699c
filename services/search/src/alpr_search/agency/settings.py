"""An agency's retention period (R16): 90 to 1,825 days, the service default until its
``alpr_admin`` sets one; every change on the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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
    audit_event,
    problem_responses,
    require_roles,
)

from ..context import Ctx
from ..tables import agency_settings

router = APIRouter(tags=["settings"])
Admin = AdminPrincipal
Reader = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN, Role.AUDITOR, Role.SUPERVISOR))]
_errors = (Unauthenticated, TrainingRequired, Forbidden)


class RetentionIn(BaseModel):
    retention_days: int = Field(ge=90, le=1825, description="R16: 90 days to 5 years.")


class RetentionPublic(BaseModel):
    agency: str
    retention_days: int
    source: str = Field(description="`agency` (set by its administrator) or `default` (the service setting).")
    updated_at: datetime | None


async def retention_by_agency(conn: AsyncConnection | AsyncSession) -> dict[str, int]:
    rows = await conn.execute(select(agency_settings.c.agency, agency_settings.c.retention_days))
    return {agency: int(days) for agency, days in rows.all()}


async def _current(session: AsyncSession, agency: str, default: int) -> RetentionPublic:
    row = (
        (await session.execute(select(agency_settings).where(agency_settings.c.agency == agency)))
        .mappings()
        .first()
    )
    if row is None:
        return RetentionPublic(agency=agency, retention_days=default, source="default", updated_at=None)
    return RetentionPublic(
        agency=agency, retention_days=row["retention_days"], source="agency", updated_at=row["updated_at"]
    )


@router.get(
    "/v1/settings/retention",
    response_model=RetentionPublic,
    responses=problem_responses(*_errors),
    openapi_extra=access(Access.READ),
)
async def get_retention(ctx: Ctx, session: DbSession, principal: Reader) -> RetentionPublic:
    """The caller's agency's retention period."""
    return await _current(session, principal.agency, ctx.settings.retention_days)


@router.put(
    "/v1/settings/retention",
    response_model=RetentionPublic,
    responses=problem_responses(*_errors, ValidationProblem, AuditUnavailable),
    openapi_extra=access(Access.CHANGE, Action.AGENCY_UPDATED),
)
async def set_retention(ctx: Ctx, session: DbSession, principal: Admin, body: RetentionIn) -> RetentionPublic:
    """Sets the agency's retention period (R16); the next purge applies it. Audited."""
    before = await _current(session, principal.agency, ctx.settings.retention_days)
    stamp = datetime.now(UTC)
    values: dict[str, Any] = {
        "agency": principal.agency,
        "retention_days": body.retention_days,
        "updated_by": {"sub": principal.sub, "name": principal.name},
        "updated_at": stamp,
    }
    await session.execute(
        insert(agency_settings)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["agency"], set_={k: v for k, v in values.items() if k != "agency"}
        )
    )
    await ctx.ledger.record(
        session,
        audit_event(
            principal,
            Action.AGENCY_UPDATED,
            source="search",
            data={"setting": "retention_days", "from": before.retention_days, "to": body.retention_days},
        ),
    )
    return await _current(session, principal.agency, ctx.settings.retention_days)
