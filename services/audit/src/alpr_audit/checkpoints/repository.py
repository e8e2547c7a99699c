"""Every SQL statement on signed checkpoints."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import FromRow

from ..tables import checkpoints


@dataclass(frozen=True)
class CheckpointRow(FromRow):
    """A signed checkpoint: the ledger's hash at ``sequence``, signed at ``created_at`` by the
    key whose public half (base64) it carries."""

    sequence: int
    hash: str
    created_at: datetime
    signature: str
    public_key: str


async def get(conn: AsyncConnection, sequence: int) -> CheckpointRow | None:
    found = (
        (await conn.execute(select(checkpoints).where(checkpoints.c.sequence == sequence))).mappings().first()
    )
    return CheckpointRow.of(found) if found is not None else None


async def insert_once(conn: AsyncConnection, row: CheckpointRow) -> None:
    """Stores the checkpoint unless one of the same sequence is there already."""
    await conn.execute(
        insert(checkpoints).values(asdict(row)).on_conflict_do_nothing(index_elements=["sequence"])
    )


async def newest_first(conn: AsyncConnection, before: int | None, limit: int) -> list[CheckpointRow]:
    """Up to ``limit`` checkpoints below sequence ``before`` (all when None), newest first."""
    query = select(checkpoints).order_by(checkpoints.c.sequence.desc()).limit(limit)
    if before is not None:
        query = query.where(checkpoints.c.sequence < before)
    return [CheckpointRow.of(m) for m in (await conn.execute(query)).mappings().all()]


async def latest(conn: AsyncConnection) -> CheckpointRow | None:
    rows = await newest_first(conn, None, 1)
    return rows[0] if rows else None


async def from_sequence(conn: AsyncConnection, first: int) -> list[CheckpointRow]:
    """Every checkpoint at ``first`` or later, in sequence order."""
    query = select(checkpoints).where(checkpoints.c.sequence >= first).order_by(checkpoints.c.sequence)
    return [CheckpointRow.of(m) for m in (await conn.execute(query)).mappings().all()]
