"""Every SQL statement on hotlist entries as people enter and approve them (synced entries:
``sources.repository``; matching: ``matching.repository``)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import FromRow, SharedEntry, rows_after

from ..tables import entries, hotlists


@dataclass(frozen=True, kw_only=True)
class EntryRow(FromRow):
    """A hotlist entry: one row of ``hotlist.entries``, its fields in column order. The people
    (``entered_by``, ``approved_by``) and ``pending_update`` are JSON documents as stored; what
    a new local entry does not have yet (its source, the NCIC fields, the approval) is None."""

    id: uuid.UUID
    hotlist_id: uuid.UUID
    agency: str
    origin: str
    source_id: uuid.UUID | None = None
    plate: str
    match_key: str | None
    pattern: str | None
    state: str
    plate_type: str | None
    vehicle: dict[str, Any]
    reason: str | None
    reason_code: str | None = None
    ori: str | None = None
    ncic_number: str | None = None
    entered_on: date | None = None
    case_number: str | None
    synopsis: str | None
    expires_at: datetime | None
    shareable: bool
    status: str
    entered_by: dict[str, Any] | None
    approved_by: dict[str, Any] | None = None
    approved_at: datetime | None = None
    pending_update: dict[str, Any] | None = None
    refreshed_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EntryCounts:
    """An agency's entries that are active and unexpired, and those awaiting approval."""

    active: int
    pending: int


async def create(session: AsyncSession, row: EntryRow) -> None:
    await session.execute(entries.insert().values(**asdict(row)))


async def get(
    session: AsyncSession, hotlist_id: uuid.UUID, entry_id: uuid.UUID, *, lock: bool = False
) -> EntryRow | None:
    q = select(entries).where(entries.c.hotlist_id == hotlist_id, entries.c.id == entry_id)
    return await EntryRow.first(session, q, lock=lock)


async def list_page(
    session: AsyncSession,
    hotlist_id: uuid.UUID,
    *,
    status: str | None,
    plate: str | None,
    awaiting_approval: bool,
    now: datetime,
    after: uuid.UUID | None,
    limit: int,
) -> list[EntryRow]:
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
    q = rows_after(q, entries.c.id, after, limit)
    return [EntryRow.of(row) for row in (await session.execute(q)).mappings()]


async def update_entry(session: AsyncSession, entry_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(entries).where(entries.c.id == entry_id).values(**values))


async def shared(
    session: AsyncSession, agency: str, *, now: datetime, fresh_since: datetime, limit: int
) -> list[SharedEntry]:
    """The agency's entries flagged shareable that are usable now: approved, unexpired, and (a
    synced one) refreshed since ``fresh_since`` (R11), by plate; each as the partner feed carries
    it (its hotlist's kind, not its list), the columns selected being the feed's fields."""
    q = (
        select(entries.c.plate, entries.c.state, hotlists.c.kind, entries.c.reason, entries.c.expires_at,
               entries.c.refreshed_at)
        .join(hotlists, hotlists.c.id == entries.c.hotlist_id)
        .where(
            entries.c.agency == agency,
            entries.c.shareable,
            entries.c.status == "active",
            or_(entries.c.expires_at.is_(None), entries.c.expires_at > now),
            or_(entries.c.origin == "local", entries.c.refreshed_at > fresh_since),
        )
        .order_by(entries.c.plate)
        .limit(limit)
    )  # fmt: skip
    return [SharedEntry.model_validate(row) for row in (await session.execute(q)).mappings()]


async def counts(session: AsyncSession, agency: str, now: datetime) -> EntryCounts:
    active = func.count().filter(
        and_(entries.c.status == "active", or_(entries.c.expires_at.is_(None), entries.c.expires_at > now))
    )
    pending = func.count().filter(entries.c.status == "pending")
    query = select(active, pending).where(entries.c.agency == agency)
    n_active, n_pending = (await session.execute(query)).one()
    return EntryCounts(active=int(n_active), pending=int(n_pending))
