"""Every SQL statement on the agencies' own settings (``search.agency_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import FromRow

from ..tables import agency_settings


@dataclass(frozen=True)
class AgencySettingsRow(FromRow):
    """An agency's own settings, as its administrator last set them."""

    agency: str
    retention_days: int
    updated_by: dict[str, Any]
    updated_at: datetime


async def retention_by_agency(conn: AsyncConnection | AsyncSession) -> dict[str, int]:
    """Each agency's own retention period in days (agencies without one are absent)."""
    rows = await conn.execute(select(agency_settings.c.agency, agency_settings.c.retention_days))
    return {agency: int(days) for agency, days in rows.all()}


async def get(session: AsyncSession, agency: str) -> AgencySettingsRow | None:
    query = select(agency_settings).where(agency_settings.c.agency == agency)
    return await AgencySettingsRow.first(session, query)


async def put(session: AsyncSession, row: AgencySettingsRow) -> None:
    """Sets the agency's settings, made on first use."""
    values: dict[str, Any] = {
        "agency": row.agency,
        "retention_days": row.retention_days,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at,
    }
    await session.execute(
        insert(agency_settings)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["agency"], set_={k: v for k, v in values.items() if k != "agency"}
        )
    )
