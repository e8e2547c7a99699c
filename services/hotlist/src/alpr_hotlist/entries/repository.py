"""Persistence of hotlist entries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ..tables import entries


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(entries.insert().values(**row))


async def get(
    session: AsyncSession, hotlist_id: uuid.UUID, entry_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    q = select(entries).where(entries.c.hotlist_id == hotlist_id, entries.c.id == entry_id)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).mappings().first()


async def list_page(
    session: AsyncSession,
    hotlist_id: uuid.UUID,
    *,
    status: str | None,
    plate: str | None,
    awaiting_approval: bool,
    now: datetime,
    after: str | None,
    limit: int,
) -> list[RowMapping]:
    q = select(entries).where(entries.c.hotlist_id == hotlist_id)
    if status == "expired":
        q = q.where(entries.c.status == "active", entries.c.expires_at <= now)
    elif status == "active":
        q = q.where(
            entries.c.status == "active", or_(entries.c.expires_at.is_(None), entries.c.expires_at > now)
        )
    elif status:
        q = q.where(entries.c.status == status)
    if plate:
        q = q.where(entries.c.plate == plate)
    if awaiting_approval:
        q = q.where(or_(entries.c.status == "pending", entries.c.pending_update.is_not(None)))
    if after:
        q = q.where(entries.c.id > uuid.UUID(after))
    q = q.order_by(entries.c.id).limit(limit)
    return list((await session.execute(q)).mappings().all())


async def update_entry(session: AsyncSession, entry_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(entries).where(entries.c.id == entry_id).values(**values))
