"""Persistence of partner agencies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ..tables import agencies


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(agencies.insert().values(**row))


async def get(session: AsyncSession, ori: str) -> RowMapping | None:
    """Any host's partner: for the partner's own calls and the rules, never for an admin's read."""
    return (await session.execute(select(agencies).where(agencies.c.ori == ori))).mappings().first()


async def get_registered(session: AsyncSession, ori: str, host_agency: str) -> RowMapping | None:
    """A partner as its host sees it: registered by ``host_agency``, else not found (R27)."""
    q = select(agencies).where(agencies.c.ori == ori, agencies.c.registered_by_agency == host_agency)
    return (await session.execute(q)).mappings().first()


async def by_client(session: AsyncSession, client_id: str) -> RowMapping | None:
    q = select(agencies).where(agencies.c.client_ids.any(client_id))
    return (await session.execute(q)).mappings().first()


async def list_registered(session: AsyncSession, host_agency: str) -> list[RowMapping]:
    q = select(agencies).where(agencies.c.registered_by_agency == host_agency).order_by(agencies.c.ori)
    return list((await session.execute(q)).mappings().all())


async def update_agency(session: AsyncSession, ori: str, values: dict[str, Any]) -> None:
    await session.execute(update(agencies).where(agencies.c.ori == ori).values(**values))
