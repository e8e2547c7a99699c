"""Every SQL statement on sources, their sync log, and the atomic replacement of a source's
entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import FromRow, driver_of, rows_before

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


@dataclass(frozen=True)
class SourceRow(FromRow):
    """A hotlist's source: one row of ``hotlist.sources``, its fields in column order. The client
    secret is never here: only the name of the variable that holds it."""

    id: uuid.UUID
    hotlist_id: uuid.UUID
    agency: str
    url: str
    format: str
    interval_minutes: int
    enabled: bool
    token_url: str | None
    client_id: str | None
    client_secret_env: str | None
    created_by: dict[str, Any]
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    last_counts: dict[str, Any] | None = None


@dataclass(frozen=True)
class SyncRow(FromRow):
    """One sync of a source as logged: one row of ``hotlist.syncs``, its fields in column order."""

    id: uuid.UUID
    source_id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    status: str
    loaded: int
    rejected: int
    removed: int
    errors: list[dict[str, Any]]
    error: str | None


async def create(session: AsyncSession, row: SourceRow) -> None:
    await session.execute(sources.insert().values(**asdict(row)))


async def get(
    session: AsyncSession, source_id: uuid.UUID, *, agency: str | None = None, lock: bool = False
) -> SourceRow | None:
    q = select(sources).where(sources.c.id == source_id)
    if agency is not None:
        q = q.where(sources.c.agency == agency)
    return await SourceRow.first(session, q, lock=lock)


async def list_for(session: AsyncSession, agency: str | None) -> list[SourceRow]:
    q = select(sources).order_by(sources.c.created_at, sources.c.id)
    if agency is not None:
        q = q.where(sources.c.agency == agency)
    return [SourceRow.of(row) for row in (await session.execute(q)).mappings()]


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


async def record_sync(session: AsyncSession, row: SyncRow) -> None:
    await session.execute(syncs.insert().values(**asdict(row)))


async def sync_log(
    session: AsyncSession, source_id: uuid.UUID, before: datetime | None, limit: int
) -> list[SyncRow]:
    q = rows_before(select(syncs).where(syncs.c.source_id == source_id), syncs.c.started_at, before, limit)
    return [SyncRow.of(row) for row in (await session.execute(q)).mappings()]


async def last_successes(conn: AsyncConnection) -> list[tuple[str, uuid.UUID, float]]:
    """(agency, source id, epoch seconds of its last good sync, or of its creation) of every
    enabled source."""
    q = select(
        sources.c.agency,
        sources.c.id,
        func.extract("epoch", func.coalesce(sources.c.last_success_at, sources.c.created_at)),
    ).where(sources.c.enabled)
    return [(agency, source_id, float(at)) for agency, source_id, at in (await conn.execute(q)).all()]
