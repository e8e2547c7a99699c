"""Persistence of alerts and of the event sequence their streams replay."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ..tables import alert_events, alerts
from .feed import CHANNEL

# Events are numbered under a transaction-level lock held to commit, so sequence order is
# commit order and a stream resuming after N misses nothing. The same statement queues the
# wake-up of the streams (sent on commit). The lock is a joined one-row CTE: it is taken when
# the first row is produced, before any identity value is drawn.
_RECORD_EVENTS = text(
    f"""
    WITH gate AS (
        SELECT pg_advisory_xact_lock(hashtext('hotlist.alert_events')), pg_notify('{CHANNEL}', '')
    )
    INSERT INTO hotlist.alert_events (alert_id, agency, hotlist_id, kind, created_at)
    SELECT a.id, a.agency, a.hotlist_id, :kind, :at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:agencies AS text[]), CAST(:hotlists AS uuid[]))
        WITH ORDINALITY AS a(id, agency, hotlist_id, n)
    CROSS JOIN gate
    ORDER BY a.n
    """
)


async def insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> list[RowMapping]:
    """Inserts the alerts not already made for their (read, entry); answers the new ones."""
    q = (
        insert(alerts)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_alerts_read_entry")
        .returning(*alerts.c)
    )
    return list((await session.execute(q)).mappings().all())


async def record_events(session: AsyncSession, kind: str, rows: Sequence[RowMapping], at: datetime) -> None:
    """Numbers the events of ``rows`` for the streams and wakes them on commit (one round trip)."""
    await session.execute(
        _RECORD_EVENTS,
        {
            "kind": kind,
            "at": at,
            "ids": [r["id"] for r in rows],
            "agencies": [r["agency"] for r in rows],
            "hotlists": [r["hotlist_id"] for r in rows],
        },
    )


async def get(
    session: AsyncSession, agency: str, alert_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    q = select(alerts).where(alerts.c.agency == agency, alerts.c.id == alert_id)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).mappings().first()


async def set_state(
    session: AsyncSession, alert_id: uuid.UUID, state: str, transitions: list[dict[str, Any]], at: datetime
) -> RowMapping:
    q = (
        update(alerts)
        .where(alerts.c.id == alert_id)
        .values(state=state, transitions=transitions, updated_at=at)
        .returning(*alerts.c)
    )
    return (await session.execute(q)).mappings().one()


async def list_page(
    session: AsyncSession,
    agency: str,
    *,
    states: Sequence[str],
    hotlist_ids: Sequence[uuid.UUID],
    since: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[RowMapping]:
    """Newest first."""
    q = select(alerts).where(alerts.c.agency == agency)
    if states:
        q = q.where(alerts.c.state.in_(states))
    if hotlist_ids:
        q = q.where(alerts.c.hotlist_id.in_(hotlist_ids))
    if since:
        q = q.where(alerts.c.created_at >= since)
    if before:
        q = q.where(func.row(alerts.c.created_at, alerts.c.id) < func.row(*before))
    q = q.order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit)
    return list((await session.execute(q)).mappings().all())


async def last_seq(session: AsyncSession, agency: str) -> int:
    q = select(func.coalesce(func.max(alert_events.c.seq), 0)).where(alert_events.c.agency == agency)
    return int((await session.execute(q)).scalar_one())


async def events_after(
    session: AsyncSession, agency: str, after: int, hotlist_ids: Sequence[uuid.UUID], limit: int
) -> list[RowMapping]:
    q = (
        select(alert_events.c.seq, alert_events.c.kind, *alerts.c)
        .join(alerts, alerts.c.id == alert_events.c.alert_id)
        .where(alert_events.c.agency == agency, alert_events.c.seq > after)
    )
    if hotlist_ids:
        q = q.where(alert_events.c.hotlist_id.in_(hotlist_ids))
    q = q.order_by(alert_events.c.seq).limit(limit)
    return list((await session.execute(q)).mappings().all())


async def counts_by_state(session: AsyncSession, agency: str) -> dict[str, int]:
    q = select(alerts.c.state, func.count()).where(alerts.c.agency == agency).group_by(alerts.c.state)
    return {state: int(n) for state, n in (await session.execute(q)).all()}
