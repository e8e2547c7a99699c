"""Persistence of partner agencies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import Person

from ..records import Record, values
from ..tables import agencies
from .schemas import Agency


class AgencyRow(Agency, Record):
    """A partner agency as stored: its webhook's secret too, and who registered it."""

    webhook_secret: str | None
    registered_by_agency: str
    created_by: Person
    created_at: datetime
    updated_at: datetime


async def create(session: AsyncSession, row: AgencyRow) -> None:
    await session.execute(agencies.insert().values(**values(row)))


async def get(session: AsyncSession, ori: str) -> AgencyRow | None:
    """Any host's partner: for the partner's own calls and the rules, never for an admin's read."""
    return await AgencyRow.first(session, select(agencies).where(agencies.c.ori == ori))


async def get_registered(session: AsyncSession, ori: str, host_agency: str) -> AgencyRow | None:
    """A partner as its host sees it: registered by ``host_agency``, else not found (R27)."""
    q = select(agencies).where(agencies.c.ori == ori, agencies.c.registered_by_agency == host_agency)
    return await AgencyRow.first(session, q)


async def by_client(session: AsyncSession, client_id: str) -> AgencyRow | None:
    return await AgencyRow.first(session, select(agencies).where(agencies.c.client_ids.any(client_id)))


async def list_registered(session: AsyncSession, host_agency: str) -> list[AgencyRow]:
    q = select(agencies).where(agencies.c.registered_by_agency == host_agency).order_by(agencies.c.ori)
    return [AgencyRow.of(m) for m in (await session.execute(q)).mappings().all()]


async def update_agency(session: AsyncSession, ori: str, changes: dict[str, Any]) -> None:
    """Writes the changed columns (JSON values, as the API shapes dump them)."""
    await session.execute(update(agencies).where(agencies.c.ori == ori).values(**changes))
