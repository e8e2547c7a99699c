"""Signed checkpoints: made on request, and every N events or M minutes by a background task."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..tables import checkpoints, ledger
from .schemas import CheckpointOut
from .signing import checkpoint_message, public_key_b64, sign

_log = structlog.get_logger("alpr.audit.checkpoints")


async def make_checkpoint(conn: AsyncConnection, key: Ed25519PrivateKey) -> CheckpointOut | None:
    """Signs the ledger's current head (None while the ledger is empty)."""
    head = (
        await conn.execute(
            select(ledger.c.sequence, ledger.c.hash).order_by(ledger.c.sequence.desc()).limit(1)
        )
    ).first()
    if head is None:
        return None
    existing = (
        await conn.execute(select(checkpoints).where(checkpoints.c.sequence == head.sequence))
    ).first()
    if existing is not None:
        return CheckpointOut.model_validate(existing._mapping)
    created_at = datetime.now(UTC)
    row = {
        "sequence": head.sequence,
        "hash": head.hash,
        "created_at": created_at,
        "signature": sign(key, checkpoint_message(head.sequence, head.hash, created_at)),
        "public_key": public_key_b64(key),
    }
    await conn.execute(insert(checkpoints).values(row).on_conflict_do_nothing(index_elements=["sequence"]))
    return CheckpointOut(**row)


async def list_checkpoints(conn: AsyncConnection, after: int | None, limit: int) -> list[CheckpointOut]:
    query = select(checkpoints).order_by(checkpoints.c.sequence.desc()).limit(limit)
    if after is not None:
        query = query.where(checkpoints.c.sequence < after)
    return [CheckpointOut.model_validate(r._mapping) for r in (await conn.execute(query)).all()]


async def due(conn: AsyncConnection, every_events: int, every_minutes: float) -> bool:
    last = (
        await conn.execute(
            select(checkpoints.c.sequence, checkpoints.c.created_at)
            .order_by(checkpoints.c.sequence.desc())
            .limit(1)
        )
    ).first()
    head = await conn.scalar(select(func.max(ledger.c.sequence)))
    if head is None or (last is not None and head <= last.sequence):
        return False
    if last is None:
        return True
    age_min = (datetime.now(UTC) - last.created_at).total_seconds() / 60
    return bool(head - last.sequence >= every_events or age_min >= every_minutes)


async def run_periodic(
    engine: AsyncEngine, key: Ed25519PrivateKey, every_events: int, every_minutes: float, poll_s: float
) -> None:
    """Checkpoints every ``every_events`` events or ``every_minutes`` minutes, whichever first."""
    while True:
        await asyncio.sleep(poll_s)
        try:
            async with engine.begin() as conn:
                if await due(conn, every_events, every_minutes):
                    made = await make_checkpoint(conn, key)
                    if made is not None:
                        _log.info("checkpoint_made", sequence=made.sequence)
        except Exception as exc:  # noqa: BLE001 - keep trying; the next poll may succeed
            _log.warning("checkpoint_failed", error=repr(exc))
