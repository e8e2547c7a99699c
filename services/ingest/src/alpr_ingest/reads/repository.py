"""Every SQL statement on reads as they are stored (the retention purge of reads goes with the
frames', in ``frames.repository``)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import DetectionRecord, MatchRead, enqueue

from ..outbox import fanout
from ..tables import outbox_messages, reads


@dataclass(frozen=True, kw_only=True)
class SentRead:
    """A read's fields that are stored as they were sent: all but its plate (stored normalized),
    its box (stored as JSON) and its crop (stored as the key of the image)."""

    agency: str
    camera_id: uuid.UUID
    captured_at: datetime
    latitude: float | None
    longitude: float | None
    region: str
    confidence: float
    source: str
    region_confidence: float | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    vehicle: dict[str, Any] = field(default_factory=dict)
    frame_id: uuid.UUID | None = None
    frame_key: str | None = None
    dedup_key: str | None = None
    model_version: str | None = None  # R22: travels with the read to search and hotlist


@dataclass(frozen=True, kw_only=True)
class ReadRow(SentRead):
    """A read as stored: one row of ``ingest.reads``."""

    id: uuid.UUID
    plate: str
    box: dict[str, Any] | None
    crop_key: str | None
    created_at: datetime


async def read_by_dedup(session: AsyncSession, camera_id: uuid.UUID, dedup_key: str) -> uuid.UUID | None:
    """The read already stored with this key, if any. Takes a transaction-scoped advisory lock on
    the key first, so the same read sent twice at once is stored once: the second waits for the
    first's commit and then finds it (issue 19: no unique-violation 500)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"ingest.read:{camera_id}:{dedup_key}"},
    )
    query = select(reads.c.id).where(reads.c.camera_id == camera_id, reads.c.dedup_key == dedup_key)
    value = await session.scalar(query)
    return value if isinstance(value, uuid.UUID) else None


async def insert_read(
    session: AsyncSession, row: ReadRow, detection: DetectionRecord, match: MatchRead
) -> None:
    """The read and its messages to search and hotlist, in the caller's transaction (they
    commit together)."""
    await session.execute(insert(reads).values(asdict(row)))
    await enqueue(
        session, outbox_messages, fanout.SEARCH, detection, fanout.message_id(row.id, fanout.SEARCH)
    )
    await enqueue(session, outbox_messages, fanout.HOTLIST, match, fanout.message_id(row.id, fanout.HOTLIST))
