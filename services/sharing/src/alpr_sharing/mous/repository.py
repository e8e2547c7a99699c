"""Persistence of MOUs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ..tables import mous


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(mous.insert().values(**row))


async def get(
    session: AsyncSession, host: str, mou_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    q = select(mous).where(mous.c.host_agency == host, mous.c.id == mou_id)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).mappings().first()


async def by_id(session: AsyncSession, mou_id: uuid.UUID) -> RowMapping | None:
    return (await session.execute(select(mous).where(mous.c.id == mou_id))).mappings().first()


async def list_for(session: AsyncSession, host: str) -> list[RowMapping]:
    q = select(mous).where(mous.c.host_agency == host).order_by(mous.c.created_at, mous.c.id)
    return list((await session.execute(q)).mappings().all())


async def in_force(
    session: AsyncSession, partner: str, now: datetime, host: str | None = None
) -> list[RowMapping]:
    """The partner's MOUs in force now (active, within their dates), newest first."""
    q = select(mous).where(
        mous.c.agency_ori == partner,
        mous.c.state == "active",
        mous.c.effective_from <= now,
        mous.c.expires_at > now,
    )
    if host is not None:
        q = q.where(mous.c.host_agency == host)
    q = q.order_by(mous.c.effective_from.desc(), mous.c.created_at.desc())
    return list((await session.execute(q)).mappings().all())


async def set_state(
    session: AsyncSession, mou_id: uuid.UUID, state: str, history: list[Any], at: datetime
) -> None:
    await session.execute(
        update(mous).where(mous.c.id == mou_id).values(state=state, history=history, updated_at=at)
    )
