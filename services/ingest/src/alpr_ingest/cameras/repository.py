"""Every SQL statement on cameras; every one scoped to the caller's agency."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..tables import cameras


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(cameras).values(row))


async def get(session: AsyncSession, agency: str, camera_id: uuid.UUID) -> RowMapping | None:
    query = select(cameras).where(cameras.c.agency == agency, cameras.c.id == camera_id)
    return (await session.execute(query)).mappings().first()


async def by_client(session: AsyncSession, agency: str, client_id: str) -> RowMapping | None:
    query = select(cameras).where(cameras.c.agency == agency, cameras.c.client_id == client_id)
    return (await session.execute(query)).mappings().first()


async def list_page(session: AsyncSession, agency: str, after: str | None, limit: int) -> list[RowMapping]:
    query = select(cameras).where(cameras.c.agency == agency)
    if after:
        query = query.where(cameras.c.id > uuid.UUID(after))
    return list((await session.execute(query.order_by(cameras.c.id).limit(limit))).mappings().all())


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
