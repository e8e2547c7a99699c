"""Every SQL statement on reads as they are stored (the retention purge of reads goes with the
frames', in ``frames.repository``)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import DetectionRecord, MatchRead, enqueue

from ..outbox import fanout
from ..tables import outbox_messages, reads


@dataclass(frozen=True)
class ReadRow:
    """A read as stored: one row of ``ingest.reads``, its fields in column order."""

    id: uuid.UUID
    agency: str
    camera_id: uuid.UUID
    frame_id: uuid.UUID | None
    source: str
    captured_at: datetime
    latitude: float | None
    longitude: float | None
    plate: str
    region: str
    confidence: float
    region_confidence: float | None
    box: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    vehicle: dict[str, Any]
    crop_key: str | None
    frame_key: str | None
    dedup_key: str | None
    created_at: datetime
    model_version: str | None


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
