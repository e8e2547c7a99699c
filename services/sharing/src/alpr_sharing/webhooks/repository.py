"""Persistence of the partner notification log (``sharing.notifications``): queued in a
decision's transaction, attempted by the outbox engine (each try logged by ``alpr_common.log_try``),
read by the host agency only (R27)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import DeliveryLogRow

from ..tables import agencies, mous, notifications, requests


@dataclass(frozen=True)
class NotificationRow(DeliveryLogRow):
    """One notification: one row of ``sharing.notifications``, the decision on ``request_id``
    told to the partner ``agency_ori``."""

    agency_ori: str
    request_id: uuid.UUID


@dataclass(frozen=True)
class OutgoingNotification(NotificationRow):
    """A notification to send, with its partner's webhook as it is now."""

    webhook_url: str | None
    webhook_secret: str | None


async def add(
    session: AsyncSession,
    message_id: str,
    agency_ori: str,
    request_id: uuid.UUID,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    """Logs a pending notification; its id."""
    inserted = await session.execute(
        notifications.insert()
        .values(
            message_id=message_id,
            agency_ori=agency_ori,
            request_id=request_id,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
        .returning(notifications.c.id)
    )
    notification_id: int = inserted.scalar_one()
    return notification_id


async def outgoing(conn: AsyncConnection, ids: list[int]) -> list[OutgoingNotification]:
    """These notifications (those still in the log), with their partners' webhooks."""
    q = (
        select(notifications, agencies.c.webhook_url, agencies.c.webhook_secret)
        .join(agencies, agencies.c.ori == notifications.c.agency_ori)
        .where(notifications.c.id.in_(ids))
    )
    return [OutgoingNotification.of(m) for m in (await conn.execute(q)).mappings().all()]


async def known_partner(session: AsyncSession, host: str, ori: str) -> bool:
    """Whether ``host`` registered the partner ``ori`` or holds an MOU with it (else: R27, not found)."""
    q = select(agencies.c.ori).where(
        agencies.c.ori == ori,
        or_(
            agencies.c.registered_by_agency == host,
            exists().where(mous.c.agency_ori == ori, mous.c.host_agency == host),
        ),
    )
    return (await session.execute(q)).first() is not None


async def log(session: AsyncSession, host: str, ori: str, limit: int) -> list[NotificationRow]:
    """The partner's notifications of ``host``'s decisions, newest first."""
    q = (
        select(notifications)
        .join(requests, requests.c.id == notifications.c.request_id)
        .where(notifications.c.agency_ori == ori, requests.c.host_agency == host)
        .order_by(notifications.c.id.desc())
        .limit(limit)
    )
    return [NotificationRow.of(m) for m in (await session.execute(q)).mappings().all()]
