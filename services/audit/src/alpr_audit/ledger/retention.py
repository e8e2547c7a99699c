"""Removing audit records past retention (R20: at least two years): only from the chain's
beginning, only up to a signed checkpoint, so what remains still verifies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncConnection

from ..checkpoints import repository as checkpoints
from ..checkpoints.service import signed
from . import repository
from .canonical import utc_text


@dataclass
class PruneResult:
    cutoff: datetime
    through_sequence: int | None
    removed: int


async def prune(
    conn: AsyncConnection, key: Ed25519PrivateKey, retention_days: int, *, dry_run: bool = False
) -> PruneResult:
    cutoff = datetime.now(UTC) - timedelta(days=max(retention_days, 730))
    last = await repository.last_recorded_before(conn, utc_text(cutoff))
    if last is None:
        return PruneResult(cutoff, None, 0)
    if dry_run:
        return PruneResult(cutoff, last, await repository.count_through(conn, last))
    digest = await repository.hash_at(conn, last)
    await checkpoints.insert_once(conn, signed(key, last, str(digest)))
    return PruneResult(cutoff, last, await repository.prune_through(conn, last))
