"""Every SQL statement on legal holds (R17) and the detections they hold; every read scoped to
one agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import FromRow

from ..tables import hold_items, holds
from .schemas import Hold


class HoldRow(Hold, FromRow):
    """A legal hold as one row of ``search.holds`` holds it."""

    model_config = ConfigDict(frozen=True)


@dataclass(frozen=True)
class HeldItem(FromRow):
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
    return await HoldRow.first(session, query)


async def items(session: AsyncSession, hold_id: uuid.UUID) -> list[HeldItem]:
    """A hold's detections, oldest capture first (the caller has found the hold in its agency)."""
    query = select(hold_items).where(hold_items.c.hold_id == hold_id).order_by(hold_items.c.captured_at)
    return [HeldItem.of(row) for row in (await session.execute(query)).mappings()]


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


# Retention of released holds (R16, R17, issue 17): once a hold is released nothing protects its
# snapshots; they expire with the agency's period like the detections they copy.


async def released_oldest_by_agency(conn: AsyncConnection) -> dict[str, datetime]:
    """Per agency, the oldest capture time among the snapshots of its released holds."""
    query = (
        select(holds.c.agency, func.min(hold_items.c.captured_at))
        .join(hold_items, hold_items.c.hold_id == holds.c.id)
        .where(holds.c.released_at.is_not(None))
        .group_by(holds.c.agency)
    )
    return {agency: oldest for agency, oldest in (await conn.execute(query)).all()}


def _released_expired(agency: str, cutoff: datetime) -> Any:
    released = select(holds.c.id).where(holds.c.agency == agency, holds.c.released_at.is_not(None))
    return hold_items.c.hold_id.in_(released) & (hold_items.c.captured_at < cutoff)


async def count_released_expired(conn: AsyncConnection, agency: str, cutoff: datetime) -> int:
    """The agency's snapshots of released holds captured before ``cutoff``."""
    query = select(func.count()).select_from(hold_items).where(_released_expired(agency, cutoff))
    return int(await conn.scalar(query) or 0)


async def delete_released_expired(conn: AsyncConnection, agency: str, cutoff: datetime) -> None:
    """Deletes those snapshots (the hold itself stays: who held what, and its release)."""
    await conn.execute(delete(hold_items).where(_released_expired(agency, cutoff)))


async def expired_packages(
    conn: AsyncConnection, agency: str, hold_ids: list[uuid.UUID], cutoff: datetime
) -> set[uuid.UUID]:
    """Of ``hold_ids``, the agency's released holds whose evidence packages expire: one of their
    snapshots was captured before ``cutoff``, or none is left."""
    if not hold_ids:
        return set()
    oldest = func.min(hold_items.c.captured_at)
    query = (
        select(holds.c.id)
        .outerjoin(hold_items, hold_items.c.hold_id == holds.c.id)
        .where(holds.c.agency == agency, holds.c.id.in_(hold_ids), holds.c.released_at.is_not(None))
        .group_by(holds.c.id)
        .having(or_(oldest.is_(None), oldest < cutoff))
    )
    return {row[0] for row in (await conn.execute(query)).all()}
