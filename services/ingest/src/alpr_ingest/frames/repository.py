"""Every SQL statement on frames, the work queue and the retention purge of frames and reads
(reads as they are stored: ``reads.repository``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import FromRow

from ..outbox import fanout
from ..tables import frames, outbox_messages, reads


@dataclass(frozen=True)
class NewFrame:
    """An uploaded frame as first stored: the columns an upload fills, in column order (the
    lease, the error and ``done_at`` come later)."""

    id: uuid.UUID
    agency: str
    camera_id: uuid.UUID
    sha256: str
    object_key: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    captured_at: datetime
    latitude: float | None
    longitude: float | None
    heading: float | None
    speed_kmh: float | None
    lane: int | None
    status: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class FrameRow(NewFrame, FromRow):
    """A stored frame: one row of ``ingest.frames``, what its upload wrote and where it stands in
    the queue since."""

    lease_id: uuid.UUID | None
    lease_expires_at: datetime | None
    last_error: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class FrameState:
    """Which frame a camera's image already is, and where it stands in the queue."""

    id: uuid.UUID
    status: str


@dataclass(frozen=True)
class LeasedFrame:
    """A frame just leased to a recognition worker."""

    id: uuid.UUID
    lease_id: uuid.UUID
    lease_expires_at: datetime
    object_key: str
    agency: str
    camera_id: uuid.UUID
    captured_at: datetime


@dataclass(frozen=True)
class PurgedFrame:
    """A frame captured before a retention cut-off, and its image."""

    id: uuid.UUID
    object_key: str


@dataclass(frozen=True)
class PurgedRead:
    """A read captured before a retention cut-off, its crop and the frame it was read on."""

    id: uuid.UUID
    crop_key: str | None
    frame_id: uuid.UUID | None


@dataclass(frozen=True)
class QueueCounts:
    """An agency's (or every agency's) frames waiting or leased, frames failed, and reads."""

    frames_pending: int
    frames_failed: int
    reads: int


async def by_sha(session: AsyncSession, camera_id: uuid.UUID, sha256: str) -> FrameState | None:
    query = select(frames.c.id, frames.c.status).where(
        frames.c.camera_id == camera_id, frames.c.sha256 == sha256
    )
    row = (await session.execute(query)).mappings().first()
    return None if row is None else FrameState(**row)


async def key_in_use(session: AsyncSession, key: str) -> bool:
    query = select(frames.c.id).where(frames.c.object_key == key).limit(1)
    return (await session.execute(query)).first() is not None


# The columns an upload fills. The statement is text on purpose: SQLAlchemy 2.0 does not cache
# the compiled form of an insert with ON CONFLICT, and compiling it anew on every upload was an
# eighth of the upload's CPU (measured with py-spy under the ingest benchmark).
FRAME_COLUMNS = tuple(f.name for f in fields(NewFrame))
_INSERT_FRAME = text(
    f"INSERT INTO {frames.schema}.{frames.name} ({', '.join(FRAME_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in FRAME_COLUMNS)}) "
    "ON CONFLICT ON CONSTRAINT uq_frames_camera_id DO NOTHING RETURNING id"
)


async def insert_frame(session: AsyncSession, row: NewFrame) -> bool:
    """Inserts the frame unless this camera sent the same image already; True when inserted."""
    result = await session.execute(_INSERT_FRAME, {name: getattr(row, name) for name in FRAME_COLUMNS})
    return result.first() is not None


async def get(
    session: AsyncSession, agency: str | None, frame_id: uuid.UUID, *, lock: bool = False
) -> FrameRow | None:
    query = select(frames).where(frames.c.id == frame_id)
    if agency is not None:
        query = query.where(frames.c.agency == agency)
    return await FrameRow.first(session, query, lock=lock)


async def list_page(
    session: AsyncSession,
    agency: str,
    status: str | None,
    camera_id: uuid.UUID | None,
    before: str | None,
    limit: int,
) -> list[FrameRow]:
    query = select(frames).where(frames.c.agency == agency)
    if status:
        query = query.where(frames.c.status == status)
    if camera_id:
        query = query.where(frames.c.camera_id == camera_id)
    if before:
        query = query.where(frames.c.id < uuid.UUID(before))
    rows = (await session.execute(query.order_by(frames.c.id.desc()).limit(limit))).mappings()
    return [FrameRow.of(row) for row in rows]


async def dead_letter_expired(session: AsyncSession, max_attempts: int) -> int:
    """Frames whose lease expired after their last allowed attempt go to ``failed``."""
    result = await session.execute(
        update(frames)
        .where(
            frames.c.status == "leased",
            frames.c.lease_expires_at < func.now(),
            frames.c.attempts >= max_attempts,
        )
        .values(status="failed", lease_id=None, last_error=f"no result after {max_attempts} leases")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


_CLAIM = text(
    """
    WITH picked AS (
        SELECT id FROM ingest.frames
        WHERE status = 'queued' OR (status = 'leased' AND lease_expires_at < now())
        ORDER BY created_at
        LIMIT :n
        FOR UPDATE SKIP LOCKED
    )
    UPDATE ingest.frames AS f
    SET status = 'leased', lease_id = gen_random_uuid(),
        lease_expires_at = now() + make_interval(secs => :lease), attempts = f.attempts + 1
    FROM picked WHERE f.id = picked.id
    RETURNING f.id, f.lease_id, f.lease_expires_at, f.object_key, f.agency, f.camera_id, f.captured_at
    """
)


async def claim(session: AsyncSession, n: int, lease_seconds: int) -> list[LeasedFrame]:
    """Leases up to ``n`` frames atomically: concurrent workers never get the same frame."""
    rows = (await session.execute(_CLAIM, {"n": n, "lease": lease_seconds})).mappings()
    return [LeasedFrame(**row) for row in rows]


async def finish(session: AsyncSession, frame_id: uuid.UUID, done_at: datetime) -> None:
    await session.execute(
        update(frames)
        .where(frames.c.id == frame_id)
        .values(status="done", done_at=done_at, lease_id=None, lease_expires_at=None)
    )


async def finish_uploaded(session: AsyncSession, agency: str, frame_id: uuid.UUID) -> str | None:
    """Marks the agency's frame done as of its upload (it came with a read made on the camera:
    nothing to recognize); its object key, or None where the agency has no such frame."""
    result = await session.execute(
        update(frames)
        .where(frames.c.id == frame_id, frames.c.agency == agency)
        .values(status="done", done_at=frames.c.created_at, lease_id=None, lease_expires_at=None)
        .returning(frames.c.object_key)
    )
    key = result.scalar_one_or_none()
    return key if isinstance(key, str) else None


# One probe per agency on (agency, captured_at) of frames and of reads: the next agency after the
# last (a skip scan), then its oldest frame or read. The tables are large; their agencies are few.
# Reads count too: a read kept for a hit's crop outlives its frame (issue 17).
_OLDEST_BY_AGENCY = text(
    """
    WITH RECURSIVE frame_agencies AS (
        (SELECT agency FROM ingest.frames ORDER BY agency LIMIT 1)
        UNION ALL
        SELECT (SELECT f.agency FROM ingest.frames f WHERE f.agency > a.agency ORDER BY f.agency LIMIT 1)
        FROM frame_agencies a WHERE a.agency IS NOT NULL
    ), read_agencies AS (
        (SELECT agency FROM ingest.reads ORDER BY agency LIMIT 1)
        UNION ALL
        SELECT (SELECT r.agency FROM ingest.reads r WHERE r.agency > a.agency ORDER BY r.agency LIMIT 1)
        FROM read_agencies a WHERE a.agency IS NOT NULL
    ), agencies AS (
        SELECT agency FROM frame_agencies WHERE agency IS NOT NULL
        UNION
        SELECT agency FROM read_agencies WHERE agency IS NOT NULL
    )
    SELECT a.agency, LEAST(
        (SELECT min(f.captured_at) FROM ingest.frames f WHERE f.agency = a.agency),
        (SELECT min(r.captured_at) FROM ingest.reads r WHERE r.agency = a.agency)
    ) AS oldest
    FROM agencies a ORDER BY a.agency
    """
)


async def oldest_by_agency(session: AsyncSession) -> dict[str, datetime]:
    """Each agency that has frames or reads, with the capture time of its oldest."""
    rows = await session.execute(_OLDEST_BY_AGENCY)
    return {agency: oldest for agency, oldest in rows.all()}


async def purge_candidates(
    session: AsyncSession, agency: str, before: datetime
) -> tuple[list[PurgedFrame], list[PurgedRead]]:
    """The agency's frames and reads captured before ``before``."""
    frame_rows = await session.execute(
        select(frames.c.id, frames.c.object_key).where(
            frames.c.agency == agency, frames.c.captured_at < before
        )
    )
    read_rows = await session.execute(
        select(reads.c.id, reads.c.crop_key, reads.c.frame_id).where(
            reads.c.agency == agency, reads.c.captured_at < before
        )
    )
    return [PurgedFrame(**row) for row in frame_rows.mappings()], [
        PurgedRead(**row) for row in read_rows.mappings()
    ]


async def delete_rows(session: AsyncSession, frame_ids: list[uuid.UUID], read_ids: list[uuid.UUID]) -> None:
    if read_ids:
        # Their messages not yet sent go too: a purged read is not delivered afterwards.
        await session.execute(
            delete(outbox_messages).where(
                outbox_messages.c.message_id.in_(
                    [fanout.message_id(r, t) for r in read_ids for t in fanout.TOPICS]
                ),
                outbox_messages.c.delivered_at.is_(None),
            )
        )
        await session.execute(delete(reads).where(reads.c.id.in_(read_ids)))
    if frame_ids:
        await session.execute(
            update(reads).where(reads.c.frame_id.in_(frame_ids)).values(frame_id=None, frame_key=None)
        )
        await session.execute(delete(frames).where(frames.c.id.in_(frame_ids)))


async def counts(session: AsyncSession, agency: str | None) -> QueueCounts:
    def scoped(table: Any, *conds: Any) -> Any:
        query = select(func.count()).select_from(table).where(*conds)
        return query.where(table.c.agency == agency) if agency else query

    queued = await session.scalar(
        scoped(frames, or_(frames.c.status == "queued", frames.c.status == "leased"))
    )
    failed = await session.scalar(scoped(frames, frames.c.status == "failed"))
    read_count = await session.scalar(scoped(reads))
    return QueueCounts(
        frames_pending=int(queued or 0), frames_failed=int(failed or 0), reads=int(read_count or 0)
    )


@dataclass(frozen=True)
class QueueState:
    """The recognition queue across agencies, for its gauges: frames waiting (queued or leased)
    and the age in seconds of the oldest (0: none), leases run out and not yet taken again, and
    dead-lettered frames."""

    depth: int
    oldest_s: float
    leases_expired: int
    failed: int


async def queue_state(conn: AsyncConnection) -> QueueState:
    """One cheap query each, on the ``(status, created_at)`` index."""
    waiting_frames = or_(frames.c.status == "queued", frames.c.status == "leased")
    depth, oldest = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(frames.c.created_at)), 0),
            ).where(waiting_frames)
        )
    ).one()
    expired = await conn.scalar(
        select(func.count())
        .select_from(frames)
        .where(frames.c.status == "leased", frames.c.lease_expires_at < func.now())
    )
    failed = await conn.scalar(select(func.count()).select_from(frames).where(frames.c.status == "failed"))
    return QueueState(
        depth=int(depth or 0),
        oldest_s=float(oldest or 0),
        leases_expired=int(expired or 0),
        failed=int(failed or 0),
    )


async def pending(conn: AsyncConnection) -> dict[str, tuple[int, float]]:
    """Per consumer: reads not yet acknowledged and the age in seconds of the oldest."""
    waiting = and_(outbox_messages.c.delivered_at.is_(None), outbox_messages.c.dead_at.is_(None))
    rows = (
        await conn.execute(
            select(
                outbox_messages.c.topic,
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(outbox_messages.c.created_at)), 0),
            )
            .where(waiting, outbox_messages.c.topic.in_(fanout.TOPICS))
            .group_by(outbox_messages.c.topic)
        )
    ).all()
    return {r[0]: (int(r[1]), float(r[2])) for r in rows}
