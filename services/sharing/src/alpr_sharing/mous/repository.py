"""Persistence of MOUs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from alpr_common import Person

from ..records import Record, values
from ..tables import mous
from ..vocabulary import MouState
from .schemas import Mou


class MouRow(Mou, Record):
    """An MOU as stored (R28): its state never ``expired`` (that follows from the dates), and the
    history of its moves."""

    history: list[dict[str, Any]]  # free-form steps: from, to, by, at, note
    created_by: Person
    created_at: datetime
    updated_at: datetime


async def _all(session: AsyncSession, q: Select[Any]) -> list[MouRow]:
    return [MouRow.of(m) for m in (await session.execute(q)).mappings().all()]


async def create(session: AsyncSession, row: MouRow) -> None:
    await session.execute(mous.insert().values(**values(row)))


async def get(session: AsyncSession, host: str, mou_id: uuid.UUID, *, lock: bool = False) -> MouRow | None:
    q = select(mous).where(mous.c.host_agency == host, mous.c.id == mou_id)
    return await MouRow.first(session, q, lock=lock)


async def by_id(session: AsyncSession, mou_id: uuid.UUID) -> MouRow | None:
    return await MouRow.first(session, select(mous).where(mous.c.id == mou_id))


async def list_for(session: AsyncSession, host: str) -> list[MouRow]:
    q = select(mous).where(mous.c.host_agency == host).order_by(mous.c.created_at, mous.c.id)
    return await _all(session, q)


def _in_force_now(now: datetime) -> tuple[Any, ...]:
    """Active and within its dates at ``now``."""
    return (mous.c.state == MouState.ACTIVE.value, mous.c.effective_from <= now, mous.c.expires_at > now)


async def in_force(
    session: AsyncSession, partner: str, now: datetime, host: str | None = None
) -> list[MouRow]:
    """The partner's MOUs in force now (active, within their dates), newest first."""
    q = select(mous).where(mous.c.agency_ori == partner, *_in_force_now(now))
    if host is not None:
        q = q.where(mous.c.host_agency == host)
    q = q.order_by(mous.c.effective_from.desc(), mous.c.created_at.desc())
    return await _all(session, q)


async def partners_in_force(session: AsyncSession, host: str, now: datetime) -> int:
    """How many partner agencies hold an MOU in force with ``host`` (an aggregate, R23)."""
    q = select(func.count(func.distinct(mous.c.agency_ori))).where(
        mous.c.host_agency == host, *_in_force_now(now)
    )
    return int(await session.scalar(q) or 0)


async def set_state(
    session: AsyncSession, mou_id: uuid.UUID, state: MouState, history: list[dict[str, Any]], at: datetime
) -> None:
    await session.execute(
        update(mous).where(mous.c.id == mou_id).values(state=state.value, history=history, updated_at=at)
    )
