"""Removing audit records past retention (R20: at least two years): only from the chain's
beginning, only up to a signed checkpoint, so what remains still verifies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..checkpoints.signing import checkpoint_message, public_key_b64, sign
from ..tables import checkpoints, ledger
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
    last = await conn.scalar(
        select(func.max(ledger.c.sequence)).where(literal_column("event->>'recorded_at'") < utc_text(cutoff))
    )
    if last is None:
        return PruneResult(cutoff, None, 0)
    if dry_run:
        removable = await conn.scalar(
            select(func.count()).select_from(ledger).where(ledger.c.sequence <= last)
        )
        return PruneResult(cutoff, int(last), int(removable or 0))
    digest = await conn.scalar(select(ledger.c.hash).where(ledger.c.sequence == last))
    created_at = datetime.now(UTC)
    await conn.execute(
        insert(checkpoints)
        .values(
            sequence=last,
            hash=digest,
            created_at=created_at,
            signature=sign(key, checkpoint_message(int(last), str(digest), created_at)),
            public_key=public_key_b64(key),
        )
        .on_conflict_do_nothing(index_elements=["sequence"])
    )
    removed = await conn.scalar(text("SELECT audit.prune_ledger(:seq)"), {"seq": last})
    return PruneResult(cutoff, int(last), int(removed or 0))
