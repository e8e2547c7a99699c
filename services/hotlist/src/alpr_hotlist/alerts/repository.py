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

# One writer of the event sequence at a time, held to commit: sequence order is commit order.
_EVENTS_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('hotlist.alert_events'))")


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
    await session.execute(_EVENTS_LOCK)
    await session.execute(
        alert_events.insert(),
        [
            {
                "alert_id": r["id"],
                "agency": r["agency"],
                "hotlist_id": r["hotlist_id"],
                "kind": kind,
                "created_at": at,
            }
            for r in rows
        ],
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
