"""Every SQL statement of a search: the detections that meet its criteria, newest first, in the
one agency it runs against (the statement itself is written by ``query.build``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import driver_of

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
    position ``after`` (capture time, id) of the previous page. Run on the driver's connection
    as a prepared statement (one per shape of search), each row straight into a
    ``DetectionRow`` (its columns in table order): issue 16, what search adds above its SQL."""
    sql = build(agency, body, after, limit)
    driver = await driver_of(conn)
    return [DetectionRow(*record) for record in await driver.fetch(sql.text, *sql.params)]
