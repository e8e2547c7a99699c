"""Decisions pushed to the partner (signed per the Standard Webhooks scheme, as hotlist's
webhooks are): queued in the decision's transaction, sent by a dispatcher that retries with
exponential backoff until the partner answers 2xx or the attempts run out. Only the request's
own decision goes out: id, decision, time, note and the release window.

Deliveries go through the outbound-URL policy (issue 19), and the log is the host's own: a host
agency sees only the notifications of its own decisions, for a partner it registered or has an
MOU with; any other partner is not found, exactly like a missing one (R27)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from alpr_common import (
    Access,
    DbSession,
    Forbidden,
    NotFound,
    OutboundClient,
    Principal,
    Role,
    TrainingRequired,
    Unauthenticated,
    access,
    problem_responses,
    require_roles,
    retry_delay,
    send_signed,
)

from .clock import now
from .settings import Settings
from .tables import agencies, mous, notifications, requests

_log = structlog.get_logger("alpr.sharing.notifications")
EVENT = "sharing.decided"
router = APIRouter(tags=["agencies"])


async def queue(session: AsyncSession, agency: Any, request_id: uuid.UUID, data: dict[str, Any]) -> None:
    """Queues the decision for the partner's webhook, if it has one."""
    if not agency["webhook_url"]:
        return
    stamp = now()
    await session.execute(
        notifications.insert().values(
            message_id=f"msg_{uuid.uuid4().hex}",
            agency_ori=agency["ori"],
            request_id=request_id,
            payload={"type": EVENT, "timestamp": stamp.isoformat(), "data": data},
            status="pending",
            attempts=0,
            next_attempt_at=stamp,
            created_at=stamp,
        )
    )


async def _send(http: OutboundClient, row: Any, timeout: float) -> tuple[int | None, str | None]:
    if not row["webhook_url"] or not row["webhook_secret"]:
        return None, "the agency has no webhook"
    body = json.dumps(row["payload"], separators=(",", ":"))
    return await send_signed(
        http, row["webhook_url"], row["webhook_secret"], row["message_id"], body, timeout
    )


async def deliver_once(engine: AsyncEngine, http: OutboundClient, settings: Settings) -> int:
    async with engine.begin() as conn:
        rows = (
            (
                await conn.execute(
                    select(notifications, agencies.c.webhook_url, agencies.c.webhook_secret)
                    .join(agencies, agencies.c.ori == notifications.c.agency_ori)
                    .where(notifications.c.status == "pending", notifications.c.next_attempt_at <= func.now())
                    .order_by(notifications.c.id)
                    .limit(32)
                    .with_for_update(of=notifications, skip_locked=True)
                )
            )
            .mappings()
            .all()
        )
        if not rows:
            return 0
        results = await asyncio.gather(*(_send(http, r, settings.notify_timeout_seconds) for r in rows))
        stamp = now()
        for row, (code, error) in zip(rows, results, strict=True):
            attempts = row["attempts"] + 1
            values: dict[str, Any] = {"attempts": attempts, "last_status_code": code, "last_error": error}
            if error is None:
                values.update(status="delivered", delivered_at=stamp)
            elif attempts >= settings.notify_max_attempts or not row["webhook_url"]:
                values.update(status="failed")
            else:
                delay = retry_delay(attempts, settings.notify_max_backoff_seconds)
                values.update(next_attempt_at=stamp + timedelta(seconds=delay))
                _log.warning("partner_notification_failed", notification=row["id"], error=error)
            await conn.execute(update(notifications).where(notifications.c.id == row["id"]).values(**values))
        return len(rows)


async def run(engine: AsyncEngine, http: OutboundClient, settings: Settings) -> None:
    while True:
        try:
            sent = await deliver_once(engine, http, settings)
        except Exception as exc:  # noqa: BLE001 - the database may be restarting; try again
            _log.warning("partner_notification_poll_failed", error=repr(exc))
            sent = 0
        if not sent:
            await asyncio.sleep(settings.notify_poll_seconds)


class NotificationPublic(BaseModel):
    id: int
    message_id: str
    request_id: uuid.UUID
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@router.get(
    "/v1/agencies/{ori}/notifications",
    response_model=list[NotificationPublic],
    responses=problem_responses(Unauthenticated, TrainingRequired, Forbidden, NotFound),
    openapi_extra=access(Access.READ),
)
async def notification_log(
    session: DbSession,
    principal: Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN))],
    ori: Annotated[str, Path(pattern=r"^[A-Z0-9]{2,32}$")],
) -> list[NotificationPublic]:
    """The partner's notifications of the caller's agency's decisions, newest first: attempts,
    last answer, delivered or not. A partner the agency neither registered nor has an MOU with: 404."""
    host = principal.agency
    known = select(agencies.c.ori).where(
        agencies.c.ori == ori,
        or_(
            agencies.c.registered_by_agency == host,
            exists().where(mous.c.agency_ori == ori, mous.c.host_agency == host),
        ),
    )
    if (await session.execute(known)).first() is None:
        raise NotFound()
    q = (
        select(notifications)
        .join(requests, requests.c.id == notifications.c.request_id)
        .where(notifications.c.agency_ori == ori, requests.c.host_agency == host)
        .order_by(notifications.c.id.desc())
        .limit(200)
    )
    return [NotificationPublic.model_validate(dict(r)) for r in (await session.execute(q)).mappings().all()]
