"""Persistence of sources, their sync log, and the atomic replacement of a source's entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import driver_of

from ..tables import entries, sources, syncs

ENTRY_COLUMNS = (
    "id",
    "hotlist_id",
    "agency",
    "origin",
    "source_id",
    "plate",
    "match_key",
    "state",
    "plate_type",
    "vehicle",
    "reason",
    "reason_code",
    "ori",
    "ncic_number",
    "entered_on",
    "expires_at",
    "shareable",
    "status",
    "refreshed_at",
    "created_at",
    "updated_at",
)


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sources.insert().values(**row))


async def get(
    session: AsyncSession, source_id: uuid.UUID, *, agency: str | None = None, lock: bool = False
) -> RowMapping | None:
    q = select(sources).where(sources.c.id == source_id)
    if agency is not None:
        q = q.where(sources.c.agency == agency)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).mappings().first()


async def list_for(session: AsyncSession, agency: str | None) -> list[RowMapping]:
    q = select(sources).order_by(sources.c.created_at, sources.c.id)
    if agency is not None:
        q = q.where(sources.c.agency == agency)
    return list((await session.execute(q)).mappings().all())


async def claim_due(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Enabled sources whose interval has passed since their last attempt, claimed by stamping
    the attempt in one statement: of several replicas polling at once, one syncs each source."""
    q = (
        update(sources)
        .where(
            sources.c.enabled,
            or_(
                sources.c.last_attempt_at.is_(None),
                sources.c.last_attempt_at
                <= now - func.make_interval(0, 0, 0, 0, 0, sources.c.interval_minutes),
            ),
        )
        .values(last_attempt_at=now)
        .returning(sources.c.id)
    )
    return list((await session.execute(q)).scalars().all())


async def update_source(session: AsyncSession, source_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(sources).where(sources.c.id == source_id).values(**values))


async def replace_entries(
    session: AsyncSession, source_id: uuid.UUID, records: Sequence[tuple[Any, ...]]
) -> int:
    """Deletes the source's entries and loads ``records`` (``ENTRY_COLUMNS`` order) by COPY, in
    the caller's transaction: matching sees the old list or the new one, never a mix. Answers how
    many old entries went."""
    result: Any = await session.execute(delete(entries).where(entries.c.source_id == source_id))
    removed = result.rowcount
    if records:
        driver = await driver_of(session)
        await driver.copy_records_to_table(
            "entries", schema_name="hotlist", records=records, columns=list(ENTRY_COLUMNS)
        )
    return int(removed or 0)


async def record_sync(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(syncs.insert().values(**row))


async def sync_log(
    session: AsyncSession, source_id: uuid.UUID, before: datetime | None, limit: int
) -> list[RowMapping]:
    q = select(syncs).where(syncs.c.source_id == source_id)
    if before is not None:
        q = q.where(syncs.c.started_at < before)
    q = q.order_by(syncs.c.started_at.desc()).limit(limit)
    return list((await session.execute(q)).mappings().all())
