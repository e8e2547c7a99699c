"""An agency's retention period (R16): 90 to 1,825 days, the service default until its
``alpr_admin`` sets one; every change on the ledger."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import Action, Principal, audit_event

from ..context import SearchContext
from . import repository
from .repository import AgencySettingsRow
from .schemas import RetentionIn, RetentionPublic


async def retention_by_agency(conn: AsyncConnection | AsyncSession) -> dict[str, int]:
    """Each agency's own retention period in days (the service default applies to the others)."""
    return await repository.retention_by_agency(conn)


async def retention(session: AsyncSession, agency: str, default: int) -> RetentionPublic:
    row = await repository.get(session, agency)
    if row is None:
        return RetentionPublic(agency=agency, retention_days=default, source="default", updated_at=None)
    return RetentionPublic(
        agency=agency, retention_days=row.retention_days, source="agency", updated_at=row.updated_at
    )


async def set_retention(
    ctx: SearchContext, session: AsyncSession, principal: Principal, body: RetentionIn
) -> RetentionPublic:
    """Sets the agency's retention period; the next purge applies it. The change's ledger event
    commits with it (issue 16)."""
    default = ctx.settings.retention_days
    before = await retention(session, principal.agency, default)
    await repository.put(
        session,
        AgencySettingsRow(
            agency=principal.agency,
            retention_days=body.retention_days,
            updated_by={"sub": principal.sub, "name": principal.name},
            updated_at=datetime.now(UTC),
        ),
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
    return await retention(session, principal.agency, default)
