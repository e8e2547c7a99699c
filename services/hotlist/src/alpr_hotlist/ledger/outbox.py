"""The ledger outbox: events of alerts made from reads are written in the transaction that makes
the alerts and shipped to the audit ledger in batches, oldest first, retried until the ledger
takes them. Nothing is lost when audit is down (the rows wait), and the hot matching path does
not pay one ledger round trip per batch of reads. Changes made by people are recorded
synchronously instead (fail-closed: no ledger, no change)."""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import AuditClient, AuditEventIn

from ..tables import ledger_outbox

_log = structlog.get_logger("alpr.hotlist.ledger")


async def ship_once(engine: AsyncEngine, audit: AuditClient, batch: int = 500) -> int:
    """Ships the oldest waiting events; answers how many went (0 when none or audit is down)."""
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(ledger_outbox.c.id, ledger_outbox.c.event)
                .order_by(ledger_outbox.c.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        await audit.record(*(AuditEventIn.model_validate(r.event) for r in rows))
        await conn.execute(delete(ledger_outbox).where(ledger_outbox.c.id.in_([r.id for r in rows])))
        return len(rows)


async def run(engine: AsyncEngine, audit: AuditClient, poll_s: float) -> None:
    """Ships until cancelled; idle (or failing) polls sleep ``poll_s``."""
    while True:
        try:
            shipped = await ship_once(engine, audit)
        except Exception as exc:  # noqa: BLE001 - audit or the database may be restarting; retried
            _log.warning("ledger_outbox_failed", error=repr(exc))
            shipped = 0
        if not shipped:
            await asyncio.sleep(poll_s)
