"""Every SQL statement on legal holds (R17) and the detections they hold; every read scoped to
one agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..tables import hold_items, holds


@dataclass(frozen=True)
class HoldRow:
    """A legal hold: who holds what for which case, and who released it."""

    id: uuid.UUID
    agency: str
    case_number: str
    reason: str
    holder: dict[str, Any]
    created_at: datetime
    released_at: datetime | None
    released_by: dict[str, Any] | None


@dataclass(frozen=True)
class HeldItem:
    """A held detection: a copy of it as JSON (``detection``, exported as is) that outlives its
    day partition, and the keys of its images, which retention keeps."""

    hold_id: uuid.UUID
    detection_id: uuid.UUID
    captured_at: datetime
    crop_key: str | None
    frame_key: str | None
    detection: dict[str, Any]


async def insert_hold(session: AsyncSession, hold: HoldRow, items: list[HeldItem]) -> None:
    await session.execute(
        insert(holds).values(
            id=hold.id,
            agency=hold.agency,
            case_number=hold.case_number,
            reason=hold.reason,
            holder=hold.holder,
            created_at=hold.created_at,
        )
    )
    await session.execute(
        insert(hold_items),
        [
            {
                "hold_id": item.hold_id,
                "detection_id": item.detection_id,
                "captured_at": item.captured_at,
                "crop_key": item.crop_key,
                "frame_key": item.frame_key,
                "detection": item.detection,
            }
            for item in items
        ],
    )


async def get(session: AsyncSession, agency: str, hold_id: uuid.UUID) -> HoldRow | None:
    """The agency's hold; another agency's is simply not found (R27)."""
    query = select(holds).where(holds.c.id == hold_id, holds.c.agency == agency)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else HoldRow(**row)


async def items(session: AsyncSession, hold_id: uuid.UUID) -> list[HeldItem]:
    """A hold's detections, oldest capture first (the caller has found the hold in its agency)."""
    query = select(hold_items).where(hold_items.c.hold_id == hold_id).order_by(hold_items.c.captured_at)
    return [HeldItem(**row) for row in (await session.execute(query)).mappings()]


async def release(session: AsyncSession, hold_id: uuid.UUID, at: datetime, by: dict[str, Any]) -> None:
    await session.execute(update(holds).where(holds.c.id == hold_id).values(released_at=at, released_by=by))


async def held_keys(conn: AsyncSession | AsyncConnection, agency: str) -> list[str]:
    """Object keys of the agency's detections under an active hold."""
    query = (
        select(hold_items.c.crop_key, hold_items.c.frame_key)
        .join(holds, holds.c.id == hold_items.c.hold_id)
        .where(holds.c.agency == agency, holds.c.released_at.is_(None))
    )
    keys = set()
    for crop, frame in (await conn.execute(query)).all():
        keys |= {k for k in (crop, frame) if k}
    return sorted(keys)
