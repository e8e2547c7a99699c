"""Persistence of requests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ..tables import requests


async def create(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(requests.insert().values(**row))


async def get(session: AsyncSession, request_id: uuid.UUID, *, lock: bool = False) -> RowMapping | None:
    q = select(requests).where(requests.c.id == request_id)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).mappings().first()


async def list_for(
    session: AsyncSession, *, host: str | None, partner: str | None, status: str | None, limit: int
) -> list[RowMapping]:
    q = select(requests)
    if host is not None:
        q = q.where(requests.c.host_agency == host)
    if partner is not None:
        q = q.where(requests.c.agency_ori == partner)
    if status is not None:
        q = q.where(requests.c.status == status)
    q = q.order_by(requests.c.created_at.desc()).limit(limit)
    return list((await session.execute(q)).mappings().all())


async def update_request(session: AsyncSession, request_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(requests).where(requests.c.id == request_id).values(**values))
