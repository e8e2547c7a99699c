"""Persistence of hotlists."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import FromRow, rows_after

from ..tables import entries, hotlists, sources


@dataclass(frozen=True)
class HotlistRow(FromRow):
    """A hotlist: one row of ``hotlist.hotlists``, its fields in column order."""

    id: uuid.UUID
    agency: str
    name: str
    kind: str
    priority: int
    alerting: bool
    created_by: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HotlistSummary(HotlistRow):
    """A hotlist with its entry counts and when its enabled sources last synced."""

    active_entries: int
    pending_entries: int
    last_synced_at: datetime | None
    never_synced: bool | None


async def create(session: AsyncSession, row: HotlistRow) -> None:
    await session.execute(hotlists.insert().values(**asdict(row)))


async def by_name(session: AsyncSession, agency: str, name: str) -> HotlistRow | None:
    q = select(hotlists).where(hotlists.c.agency == agency, hotlists.c.name == name)
    return await HotlistRow.first(session, q)


def _with_counts(now: datetime) -> Any:
    active = func.count().filter(
        and_(entries.c.status == "active", func.coalesce(entries.c.expires_at > now, True))
    )
    pending = func.count().filter(entries.c.status == "pending")
    counts = (
        select(entries.c.hotlist_id, active.label("active_entries"), pending.label("pending_entries"))
        .group_by(entries.c.hotlist_id)
        .subquery()
    )
    synced = (
        select(
            sources.c.hotlist_id,
            func.min(sources.c.last_success_at).label("last_synced_at"),
            func.bool_or(sources.c.last_success_at.is_(None)).label("never_synced"),
        )
        .where(sources.c.enabled)
        .group_by(sources.c.hotlist_id)
        .subquery()
    )
    return (
        select(
            hotlists,
            func.coalesce(counts.c.active_entries, 0).label("active_entries"),
            func.coalesce(counts.c.pending_entries, 0).label("pending_entries"),
            synced.c.last_synced_at,
            case((synced.c.hotlist_id.is_(None), False), else_=synced.c.never_synced).label("never_synced"),
        )
        .outerjoin(counts, counts.c.hotlist_id == hotlists.c.id)
        .outerjoin(synced, synced.c.hotlist_id == hotlists.c.id)
    )


async def get(
    session: AsyncSession, agency: str, hotlist_id: uuid.UUID, now: datetime
) -> HotlistSummary | None:
    q = _with_counts(now).where(hotlists.c.agency == agency, hotlists.c.id == hotlist_id)
    return await HotlistSummary.first(session, q)


async def exists(session: AsyncSession, agency: str, hotlist_id: uuid.UUID) -> HotlistRow | None:
    q = select(hotlists).where(hotlists.c.agency == agency, hotlists.c.id == hotlist_id)
    return await HotlistRow.first(session, q)


async def list_page(
    session: AsyncSession, agency: str, after: uuid.UUID | None, limit: int, now: datetime
) -> list[HotlistSummary]:
    q = rows_after(_with_counts(now).where(hotlists.c.agency == agency), hotlists.c.id, after, limit)
    return [HotlistSummary.of(row) for row in (await session.execute(q)).mappings()]


async def update_hotlist(session: AsyncSession, hotlist_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(hotlists).where(hotlists.c.id == hotlist_id).values(**values))


async def count(session: AsyncSession, agency: str) -> int:
    return int((await session.execute(select(func.count()).where(hotlists.c.agency == agency))).scalar_one())
