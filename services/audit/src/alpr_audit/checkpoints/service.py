"""Signed checkpoints: made on request, and every N events or M minutes by a background task."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..ledger import repository as ledger_repository
from . import repository
from .repository import CheckpointRow
from .schemas import CheckpointOut
from .signing import checkpoint_message, public_key_b64, sign

_log = structlog.get_logger("alpr.audit.checkpoints")


def signed(key: Ed25519PrivateKey, sequence: int, digest: str) -> CheckpointRow:
    """A checkpoint of the ledger's hash ``digest`` at ``sequence``, signed now with ``key``."""
    created_at = datetime.now(UTC)
    return CheckpointRow(
        sequence=sequence,
        hash=digest,
        created_at=created_at,
        signature=sign(key, checkpoint_message(sequence, digest, created_at)),
        public_key=public_key_b64(key),
    )


def _out(row: CheckpointRow) -> CheckpointOut:
    return CheckpointOut.model_validate(row, from_attributes=True)


async def make_checkpoint(conn: AsyncConnection, key: Ed25519PrivateKey) -> CheckpointOut | None:
    """Signs the ledger's current head (None while the ledger is empty)."""
    head = await ledger_repository.newest(conn)
    if head is None:
        return None
    existing = await repository.get(conn, head.sequence)
    if existing is not None:
        return _out(existing)
    made = signed(key, head.sequence, head.hash)
    await repository.insert_once(conn, made)
    return _out(made)


async def list_checkpoints(conn: AsyncConnection, after: int | None, limit: int) -> list[CheckpointOut]:
    return [_out(r) for r in await repository.newest_first(conn, after, limit)]


async def due(conn: AsyncConnection, every_events: int, every_minutes: float) -> bool:
    last = await repository.latest(conn)
    head = await ledger_repository.head_sequence(conn)
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
