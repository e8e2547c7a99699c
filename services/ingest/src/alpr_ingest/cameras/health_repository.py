"""The SQL of camera health: what each camera of an agency sent over the last day and the week
before it, and its shift checks. One statement per agency; each camera's frames and reads are
read through their ``(camera_id, captured_at)`` indexes."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..tables import camera_checks


@dataclass(frozen=True)
class CameraActivityRow:
    id: uuid.UUID
    name: str
    kind: str
    status: str
    expected_interval_s: int | None
    last_frame_at: datetime | None
    last_read_at: datetime | None
    frames_day: int
    frames_done_day: int
    frames_with_reads_day: int
    frames_done_week: int
    frames_with_reads_week: int
    reads_day: int
    reads_week: int
    clock_skew_s: float | None
    model_version: str | None
    last_check_at: datetime | None
    last_check_by: str | None
    last_check_result: str | None


@dataclass(frozen=True)
class CameraCheckRow:
    """A shift check as stored: one row of ``ingest.camera_checks``, its fields in column order."""

    id: uuid.UUID
    agency: str
    camera_id: uuid.UUID
    result: str
    note: str | None
    checked_by: str
    checked_by_name: str
    checked_at: datetime


_ACTIVITY = text(
    """
    SELECT c.id, c.name, c.kind, c.status, c.expected_interval_s,
           lf.created_at AS last_frame_at, lr.created_at AS last_read_at,
           coalesce(f.frames_day, 0) AS frames_day,
           coalesce(f.frames_done_day, 0) AS frames_done_day,
           coalesce(f.frames_with_reads_day, 0) AS frames_with_reads_day,
           coalesce(f.frames_done_week, 0) AS frames_done_week,
           coalesce(f.frames_with_reads_week, 0) AS frames_with_reads_week,
           coalesce(r.reads_day, 0) AS reads_day, coalesce(r.reads_week, 0) AS reads_week,
           skew.clock_skew_s, lr.model_version,
           k.checked_at AS last_check_at, k.checked_by_name AS last_check_by, k.result AS last_check_result
    FROM ingest.cameras c
    LEFT JOIN LATERAL (
        SELECT created_at, captured_at FROM ingest.frames
        WHERE camera_id = c.id ORDER BY captured_at DESC LIMIT 1
    ) lf ON true
    LEFT JOIN LATERAL (
        SELECT created_at, captured_at, model_version FROM ingest.reads
        WHERE camera_id = c.id ORDER BY captured_at DESC LIMIT 1
    ) lr ON true
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE fr.captured_at >= :day) AS frames_day,
               count(*) FILTER (WHERE fr.captured_at >= :day AND fr.status = 'done') AS frames_done_day,
               count(*) FILTER (WHERE fr.captured_at >= :day AND fr.status = 'done' AND fr.has_read)
                   AS frames_with_reads_day,
               count(*) FILTER (WHERE fr.captured_at < :day AND fr.status = 'done') AS frames_done_week,
               count(*) FILTER (WHERE fr.captured_at < :day AND fr.status = 'done' AND fr.has_read)
                   AS frames_with_reads_week
        FROM (
            SELECT f.captured_at, f.status,
                   EXISTS (SELECT 1 FROM ingest.reads x WHERE x.frame_id = f.id) AS has_read
            FROM ingest.frames f
            WHERE f.camera_id = c.id AND f.captured_at >= :week AND f.captured_at <= :now
        ) fr
    ) f ON true
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE captured_at >= :day) AS reads_day,
               count(*) FILTER (WHERE captured_at < :day) AS reads_week
        FROM ingest.reads WHERE camera_id = c.id AND captured_at >= :week AND captured_at <= :now
    ) r ON true
    LEFT JOIN LATERAL (
        -- Clock skew: arrival minus capture, median of the latest 100 frames (reads for an
        -- edge camera, which sends no frames).
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.created_at - s.captured_at))
               AS clock_skew_s
        FROM (
            (SELECT created_at, captured_at FROM ingest.frames WHERE camera_id = c.id
             ORDER BY captured_at DESC LIMIT 100)
            UNION ALL
            (SELECT created_at, captured_at FROM ingest.reads WHERE camera_id = c.id AND frame_id IS NULL
             ORDER BY captured_at DESC LIMIT 100)
        ) s
    ) skew ON true
    LEFT JOIN LATERAL (
        SELECT checked_at, checked_by_name, result FROM ingest.camera_checks
        WHERE agency = c.agency AND camera_id = c.id ORDER BY checked_at DESC LIMIT 1
    ) k ON true
    WHERE c.agency = :agency
    ORDER BY c.name, c.id
    """
)


async def activity(
    conn: AsyncConnection | AsyncSession, agency: str, now: datetime
) -> list[CameraActivityRow]:
    """Each camera of the agency with what it sent (see ``health.Activity``)."""
    params = {
        "agency": agency,
        "now": now,
        "day": now - timedelta(days=1),
        "week": now - timedelta(days=7),
    }
    rows = (await conn.execute(_ACTIVITY, params)).mappings().all()
    return [CameraActivityRow(**dict(row)) for row in rows]


async def add_check(session: AsyncSession, row: CameraCheckRow) -> None:
    await session.execute(insert(camera_checks).values(asdict(row)))
