"""Decisions pushed to the partner (signed per the Standard Webhooks scheme, as hotlist's
webhooks are): queued in the decision's transaction, sent by the outbox engine, which retries
with exponential backoff until the partner answers 2xx or the attempts run out. Only the request's
own decision goes out: id, decision, time, note and the release window.

Deliveries go through the outbound-URL policy (issue 19), and the log is the host's own: a host
agency sees only the notifications of its own decisions, for a partner it registered or has an
MOU with; any other partner is not found, exactly like a missing one (R27)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, FastAPI, Path
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from alpr_common import (
    Access,
    DbSession,
    DeliveryProgress,
    Forbidden,
    NotFound,
    OutboundClient,
    OutboxDispatcher,
    OutboxHandler,
    OutboxMessage,
    OutboxOutcome,
    Principal,
    Role,
    SignedDelivery,
    TrainingRequired,
    Unauthenticated,
    access,
    document_webhook,
    enqueue,
    log_try,
    problem_responses,
    require_roles,
    send_signed,
)

from .agencies.repository import AgencyRow
from .clock import now
from .records import columns
from .releases.schemas import DecisionKind
from .settings import Settings
from .tables import notifications, outbox_messages
from .vocabulary import RequestStatus
from .webhooks import repository

_log = structlog.get_logger("alpr.sharing.notifications")
EVENT = "sharing.decided"
router = APIRouter(tags=["agencies"])


TOPIC = "notification"


class DecisionNotice(BaseModel):
    """The request's own decision, as its partner is told: nothing of the data released."""

    request_id: uuid.UUID
    decision: DecisionKind
    status: RequestStatus
    decided_at: datetime
    note: str | None = None
    release_until: datetime | None = Field(None, description="The results can be fetched until then.")


class DecisionWebhook(BaseModel):
    """The body of one delivery to the partner's webhook (Standard Webhooks: verify
    `webhook-signature` over `webhook-id.webhook-timestamp.body` with the secret shown when the
    partner was registered; `webhook-id` is the same on every retry)."""

    type: Literal["sharing.decided"]
    timestamp: datetime = Field(description="When the delivery was queued, in the decision's transaction.")
    data: DecisionNotice


def document_webhooks(app: FastAPI) -> None:
    """The partner's deliveries in the document's ``webhooks`` section (OpenAPI 3.1)."""
    document_webhook(
        app,
        EVENT,
        DecisionWebhook,
        operation_id="sharing-webhook-sharing-decided",
        summary=f"Webhook: {EVENT}",
        description="Sent to a partner agency's webhook when the host decides one of its written "
        "requests. Answer 2xx to acknowledge; anything else, or no answer within the timeout, is "
        "retried with backoff and shown in the host's `GET /v1/agencies/{ori}/notifications`.",
    )


class NotificationMessage(BaseModel):
    """A notification waiting to be sent: its row in the notification log."""

    notification_id: int


async def queue(session: AsyncSession, agency: AgencyRow, notice: DecisionNotice) -> None:
    """Queues the decision for the partner's webhook, if it has one: its row in the log and its
    message in the outbox, in the decision's transaction (issue 16)."""
    if not agency.webhook_url:
        return
    stamp = now()
    message_id = uuid.uuid4()
    payload = DecisionWebhook(type=EVENT, timestamp=stamp, data=notice).model_dump(mode="json")
    notification_id = await repository.add(
        session, f"msg_{message_id.hex}", agency.ori, notice.request_id, payload, stamp
    )
    await enqueue(
        session, outbox_messages, TOPIC, NotificationMessage(notification_id=notification_id), message_id
    )


async def _send(
    http: OutboundClient, row: repository.OutgoingNotification, timeout: float
) -> tuple[int | None, str | None]:
    if not row.webhook_url or not row.webhook_secret:
        return None, "the agency has no webhook"
    body = json.dumps(row.payload, separators=(",", ":"))
    return await send_signed(http, row.webhook_url, row.webhook_secret, row.message_id, body, timeout)


def dispatcher(
    engine: AsyncEngine, http: OutboundClient, settings: Settings, registry: CollectorRegistry | None = None
) -> OutboxDispatcher:
    """The outbox engine's dispatcher of partner notifications: partners' webhooks are called
    with no transaction or lock held (the old loop kept both open during the call)."""
    delivery = SignedDelivery(
        poll_s=settings.notify_poll_seconds,
        max_attempts=settings.notify_max_attempts,
        max_backoff_s=settings.notify_max_backoff_seconds,
        timeout_s=settings.notify_timeout_seconds,
    )

    async def send(
        messages: Sequence[OutboxMessage[NotificationMessage]],
    ) -> Mapping[uuid.UUID, OutboxOutcome]:
        by_row = {m.payload.notification_id: m for m in messages}
        async with engine.connect() as conn:
            rows = await repository.outgoing(conn, list(by_row))
        results = await asyncio.gather(*(_send(http, r, delivery.timeout_s) for r in rows))
        found = {r.id for r in rows}
        outcomes: dict[uuid.UUID, OutboxOutcome] = {
            m.message_id: OutboxOutcome.failed("the notification is no longer in the log")
            for row_id, m in by_row.items()
            if row_id not in found
        }
        stamp = now()
        async with engine.begin() as conn:
            for row, (code, error) in zip(rows, results, strict=True):
                message = by_row[row.id]
                verdict = delivery.judge(error, message.attempt, receiver_gone=not row.webhook_url)
                if verdict.retry_in is not None:
                    _log.warning("partner_notification_failed", notification=row.id, error=error)
                await log_try(
                    conn, notifications, row.id, verdict, (code, error), attempts=message.attempt, now=stamp
                )
                outcomes[message.message_id] = verdict.outcome
        return outcomes

    return delivery.dispatcher(
        engine, outbox_messages, TOPIC, OutboxHandler(NotificationMessage, send), registry
    )


class PartnerNotification(BaseModel):
    """A notification's own fields, first in ``NotificationPublic``: which try, of what decision."""

    id: int
    message_id: str
    request_id: uuid.UUID


class NotificationPublic(DeliveryProgress, PartnerNotification):
    pass


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
    if not await repository.known_partner(session, host, ori):
        raise NotFound()
    rows = await repository.log(session, host, ori, limit=200)
    return [NotificationPublic.model_validate(columns(r)) for r in rows]
