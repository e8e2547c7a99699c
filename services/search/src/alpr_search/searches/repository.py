"""Every SQL statement of a search: the detections that meet its criteria, newest first, in the
one agency it runs against (the statement itself is built by ``query.build``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..detections.repository import DetectionRow
from .query import build
from .schemas import SearchRequest


async def find(
    conn: AsyncConnection | AsyncSession,
    agency: str,
    body: SearchRequest,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[DetectionRow]:
    """Up to ``limit`` of the agency's detections meeting ``body``'s criteria, after the
    position ``after`` (capture time, id) of the previous page."""
    rows = (await conn.execute(build(agency, body, after, limit))).mappings()
    return [DetectionRow.of(row) for row in rows]
