"""Every SQL statement on cameras; every one scoped to the caller's agency."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import FromRow

from ..tables import cameras


@dataclass(frozen=True)
class CameraRow(FromRow):
    """A registered camera: one row of ``ingest.cameras``, its fields in column order."""

    id: uuid.UUID
    agency: str
    name: str
    kind: str
    client_id: str
    latitude: float | None
    longitude: float | None
    status: str
    created_at: datetime
    updated_at: datetime
    expected_interval_s: int | None = None


async def create(session: AsyncSession, row: CameraRow) -> None:
    await session.execute(insert(cameras).values(asdict(row)))


async def get(session: AsyncSession, agency: str, camera_id: uuid.UUID) -> CameraRow | None:
    query = select(cameras).where(cameras.c.agency == agency, cameras.c.id == camera_id)
    return await CameraRow.first(session, query)


async def by_client(session: AsyncSession, agency: str, client_id: str) -> CameraRow | None:
    query = select(cameras).where(cameras.c.agency == agency, cameras.c.client_id == client_id)
    return await CameraRow.first(session, query)


async def list_page(session: AsyncSession, agency: str, after: str | None, limit: int) -> list[CameraRow]:
    query = select(cameras).where(cameras.c.agency == agency)
    if after:
        query = query.where(cameras.c.id > uuid.UUID(after))
    rows = (await session.execute(query.order_by(cameras.c.id).limit(limit))).mappings()
    return [CameraRow.of(row) for row in rows]


async def update_camera(
    session: AsyncSession, agency: str, camera_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        update(cameras).where(cameras.c.agency == agency, cameras.c.id == camera_id).values(**values)
    )


async def count(session: AsyncSession, agency: str) -> int:
    query = (
        select(func.count())
        .select_from(cameras)
        .where(cameras.c.agency == agency, cameras.c.status == "active")
    )
    return int(await session.scalar(query) or 0)


async def agencies(conn: AsyncConnection | AsyncSession) -> list[str]:
    """Every agency with a camera (the camera-health gauges count each)."""
    return list((await conn.execute(select(cameras.c.agency).distinct())).scalars().all())
