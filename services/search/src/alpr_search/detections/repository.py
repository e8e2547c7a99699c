"""Every SQL statement on the detection store; every read scoped to one agency."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import FromRow

from ..tables import detections


@dataclass(frozen=True)
class DetectionRow(FromRow):
    """A stored detection: one row of ``search.detections``, its fields in column order."""

    id: uuid.UUID
    captured_at: datetime
    agency: str
    camera_id: uuid.UUID
    latitude: float | None
    longitude: float | None
    plate: str
    plate_corrected: str | None
    region: str
    confidence: float
    box: dict[str, Any] | None
    crop_key: str | None
    frame_key: str | None
    vehicle: dict[str, Any]
    created_at: datetime
    model_version: str | None


@dataclass(frozen=True)
class SourceCorrections(FromRow):
    """R22: one camera and recognition model version's detections, and how many were corrected."""

    camera_id: uuid.UUID
    model_version: str
    detections: int
    corrections: int


def partition_name(day: date) -> str:
    return f"detections_{day:%Y%m%d}"


async def ensure_partitions(session: AsyncSession, days: set[date]) -> None:
    """One partition per capture day (UTC), made when the first detection of that day arrives;
    late uploads (R18) land in their own old day."""
    for day in sorted(days):
        start = datetime.combine(day, time.min, UTC)
        end = start + timedelta(days=1)
        await session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS search.{partition_name(day)} PARTITION OF search.detections "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        )


async def insert_batch(session: AsyncSession, rows: list[DetectionRow]) -> int:
    """Idempotent on the read id: a detection sent twice is stored once."""
    values = [asdict(row) for row in rows]
    stmt = insert(detections).values(values).on_conflict_do_nothing(index_elements=["id", "captured_at"])
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def get(session: AsyncSession, agency: str, detection_id: uuid.UUID) -> DetectionRow | None:
    query = select(detections).where(detections.c.agency == agency, detections.c.id == detection_id)
    return await DetectionRow.first(session, query)


async def of_agency(session: AsyncSession, agency: str, ids: list[uuid.UUID]) -> list[DetectionRow]:
    """The agency's detections among ``ids``; another agency's are simply not found (R27)."""
    query = select(detections).where(detections.c.agency == agency, detections.c.id.in_(ids))
    return [DetectionRow.of(row) for row in (await session.execute(query)).mappings()]


async def counts(session: AsyncSession, agency: str, older_than: datetime) -> tuple[int, int]:
    total = await session.scalar(
        select(func.count()).select_from(detections).where(detections.c.agency == agency)
    )
    old = await session.scalar(
        select(func.count())
        .select_from(detections)
        .where(detections.c.agency == agency, detections.c.captured_at < older_than)
    )
    return int(total or 0), int(old or 0)


async def corrections_by_source(session: AsyncSession, agency: str) -> list[SourceCorrections]:
    """R22: the agency's detections and corrected ones (misreads a person fixed, R19) per camera
    and recognition model version; a read without a version counts under `unknown`."""
    version = func.coalesce(detections.c.model_version, literal_column("'unknown'"))
    query = (
        select(
            detections.c.camera_id,
            version.label("model_version"),
            func.count().label("detections"),
            func.count(detections.c.plate_corrected).label("corrections"),
        )
        .where(detections.c.agency == agency)
        .group_by(detections.c.camera_id, version)
        .order_by(detections.c.camera_id, version)
    )
    return [SourceCorrections.of(row) for row in (await session.execute(query)).mappings()]


async def set_correction(session: AsyncSession, agency: str, detection_id: uuid.UUID, plate: str) -> None:
    await session.execute(
        update(detections)
        .where(detections.c.agency == agency, detections.c.id == detection_id)
        .values(plate_corrected=plate)
    )
