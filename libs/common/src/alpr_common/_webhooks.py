"""Standard Webhooks signatures (HMAC-SHA256 over ``id.timestamp.body``), through the scheme's
own reference library so receivers can verify with any of its implementations. Deliveries go
through the outbound-URL policy (``OutboundClient``, issue 19)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
import structlog
from fastapi import Body, FastAPI, Header
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Identity,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from standardwebhooks import Webhook

from ._database import FromRow
from ._outbound import OutboundBlocked, OutboundClient
from ._outbox import OutboxDispatcher, OutboxHandler, OutboxOutcome, OutboxSettings

_log = structlog.get_logger("alpr.webhooks")


def new_webhook_secret() -> str:
    """A receiver's key: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The headers of one signed delivery of ``body``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
    }


async def send_signed(
    http: OutboundClient, url: str, secret: str, message_id: str, body: str, timeout: float
) -> tuple[int | None, str | None]:
    """POSTs one signed delivery: (status code, error), the error None on a 2xx answer.

    The error text never carries the exception's text (a port scan through a receiver URL
    would tell "connection refused" from "server disconnected"); the log has the kind."""
    try:
        resp = await http.post(
            url,
            content=body,
            headers=webhook_headers(secret, message_id, datetime.now(UTC), body),
            timeout=timeout,
        )
    except OutboundBlocked as exc:
        return None, str(exc)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        host = url.partition("://")[2].split("/")[0].rpartition("@")[2]
        _log.warning("webhook_unreachable", host=host, error=type(exc).__name__)
        return None, "the receiver could not be reached"
    if 200 <= resp.status_code < 300:
        return resp.status_code, None
    return resp.status_code, f"the receiver answered {resp.status_code}"


def signed_delivery_settings(
    *, poll_s: float, max_attempts: int, max_backoff_s: float, timeout_s: float
) -> OutboxSettings:
    """The outbox settings of signed deliveries to outside receivers (hotlist webhooks, sharing
    notifications): batches of 32, backoff from 1 s doubling up to ``max_backoff_s``, a send
    allowed the receiver's timeout plus a margin, and a lease well past it."""
    return OutboxSettings(
        batch_size=32,
        poll_s=poll_s,
        max_attempts=max_attempts,
        backoff_base_s=1.0,
        backoff_cap_s=max_backoff_s,
        send_timeout_s=timeout_s + 5.0,
        lease_s=timeout_s + 60.0,
    )


def delivery_log_table(metadata: MetaData, name: str, *columns: Column[Any]) -> Table:
    """Declares a delivery log in ``metadata`` (hotlist's webhook deliveries, sharing's partner
    notifications): one row per signed delivery, its id and ``message_id`` (``msg_`` + hex, the
    same on every try), the log's own ``columns`` (what is delivered to whom), then the body as
    queued, its status (``pending``, ``delivered``, ``failed``), the tries made and when the next
    is due, the receiver's last answer or error, and when it was queued and delivered."""
    return Table(
        name,
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("message_id", String(64), nullable=False),
        *columns,
        Column("payload", JSONB, nullable=False),
        Column("status", String(12), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False),
        Column("last_status_code", Integer),
        Column("last_error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("delivered_at", DateTime(timezone=True)),
    )


@dataclass(frozen=True)
class DeliveryLogRow(FromRow):
    """The columns every delivery log has (``delivery_log_table``): a log's own row adds its
    own (what is delivered to whom). ``payload`` is the body exactly as queued: it is sent as
    stored, so that every retry signs the same bytes."""

    id: int
    message_id: str
    payload: dict[str, Any]
    status: str  # pending | delivered | failed
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryProgress(BaseModel):
    """How a logged delivery went, as the API shows it: the fields after the log's own. A log's
    API model inherits it after a base of its own that declares ``id``, ``message_id`` and what is
    delivered to whom, so that these come first in the document and in every answer."""

    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


async def log_try(
    conn: AsyncConnection,
    log: Table,
    row_id: int,
    verdict: DeliveryVerdict,
    answer: tuple[int | None, str | None],
    *,
    attempts: int | ColumnElement[int],
    now: datetime,
) -> None:
    """Writes one try of the delivery ``row_id`` in its ``log``: the tries made, the receiver's
    ``answer`` (``send_signed``'s status code and error), and what the try came to (``verdict``:
    delivered now, or due again when)."""
    status_code, error = answer
    values: dict[str, Any] = {
        "status": verdict.status,
        "attempts": attempts,
        "last_status_code": status_code,
        "last_error": error,
    }
    if verdict.status == "delivered":
        values["delivered_at"] = now
    if verdict.retry_in is not None:
        values["next_attempt_at"] = now + verdict.retry_in
    await conn.execute(update(log).where(log.c.id == row_id).values(**values))


def delivery_log_outbox_revision(
    schema: str, log: str, topic: str, id_key: str
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The ``upgrade`` and ``downgrade`` of the revision that hands a delivery log's sending to
    the outbox engine (issue 16): every row of ``schema.log`` still pending gets its message in
    ``schema.outbox_messages`` under ``topic``, with the same id as its ``webhook-id`` and its
    tries so far, the payload naming the row as ``id_key``; the downgrade deletes the topic's
    messages. Revisions that ran keep running it as it is: never change it, write a new one."""

    def upgrade() -> None:
        from alembic import op

        op.execute(
            f"""
            INSERT INTO {schema}.outbox_messages (message_id, topic, payload, attempts, available_at)
            SELECT CAST(substr(message_id, 5) AS uuid), '{topic}', jsonb_build_object('{id_key}', id),
                attempts, next_attempt_at
            FROM {schema}.{log}
            WHERE status = 'pending'
            ORDER BY id
            ON CONFLICT (message_id) DO NOTHING
            """
        )

    def downgrade() -> None:
        from alembic import op

        op.execute(f"DELETE FROM {schema}.outbox_messages WHERE topic = '{topic}'")

    return upgrade, downgrade


def retry_delay(attempts: int, cap_s: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 1, 2, 4, ... up to ``cap_s``."""
    return float(min(cap_s, 2.0 ** (attempts - 1)))


@dataclass(frozen=True)
class DeliveryVerdict:
    """What one try of a signed delivery comes to: its status in the delivery log, when it is
    tried again (``pending`` only), and the outbox's outcome of its message."""

    status: Literal["delivered", "failed", "pending"]
    retry_in: timedelta | None
    outcome: OutboxOutcome


def judge_delivery(
    error: str | None, attempt: int, *, max_attempts: int, max_backoff_s: float, receiver_gone: bool
) -> DeliveryVerdict:
    """Try ``attempt`` of a delivery, which failed with ``error`` (None: the receiver took it):
    ``failed`` once the tries are spent or the receiver is gone (deactivated, no URL), else
    ``pending`` again after ``retry_delay``."""
    if error is None:
        return DeliveryVerdict("delivered", None, OutboxOutcome.delivered())
    if attempt >= max_attempts or receiver_gone:
        return DeliveryVerdict("failed", None, OutboxOutcome.failed(error))
    delay = timedelta(seconds=retry_delay(attempt, max_backoff_s))
    return DeliveryVerdict("pending", delay, OutboxOutcome.retry(error))


@dataclass(frozen=True)
class SignedDelivery:
    """How a service sends signed deliveries to outside receivers (hotlist webhooks, sharing
    notifications), from its settings: how often the outbox is polled, how many tries a delivery
    gets, the longest wait between two, and how long a receiver has to answer."""

    poll_s: float
    max_attempts: int
    max_backoff_s: float
    timeout_s: float

    def judge(self, error: str | None, attempt: int, *, receiver_gone: bool) -> DeliveryVerdict:
        """What try ``attempt`` comes to (``judge_delivery`` with these limits)."""
        return judge_delivery(
            error,
            attempt,
            max_attempts=self.max_attempts,
            max_backoff_s=self.max_backoff_s,
            receiver_gone=receiver_gone,
        )

    def dispatcher(
        self,
        engine: AsyncEngine,
        outbox: Table,
        topic: str,
        handler: OutboxHandler[Any],
        registry: CollectorRegistry | None,
    ) -> OutboxDispatcher:
        """The outbox engine's dispatcher of ``topic`` in ``outbox``, with the outbox settings
        of signed deliveries (``signed_delivery_settings``)."""
        settings = signed_delivery_settings(
            poll_s=self.poll_s,
            max_attempts=self.max_attempts,
            max_backoff_s=self.max_backoff_s,
            timeout_s=self.timeout_s,
        )
        return OutboxDispatcher(engine, outbox, {topic: handler}, settings, registry)


def document_webhook(
    app: FastAPI,
    event: str,
    body: type[BaseModel],
    *,
    operation_id: str,
    summary: str,
    description: str,
    tag: str = "webhooks",
) -> None:
    """Describes one outgoing delivery in the app's OpenAPI ``webhooks`` section (3.1, issue
    18): a POST named ``event`` whose body is ``body``, with the Standard Webhooks signature
    headers and a 2xx answer (what else a receiver answers is its own: no 422 of ours)."""

    async def receive(
        payload: Annotated[BaseModel, Body()],
        webhook_id: Annotated[str, Header(description="`msg_` + hex: the same on every retry.")],
        webhook_timestamp: Annotated[int, Header(description="Seconds since the epoch, when sent.")],
        webhook_signature: Annotated[
            str, Header(description="`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`.")
        ],
    ) -> None:
        """Documentation only: the platform sends this; a receiver implements it."""

    receive.__annotations__["payload"] = Annotated[body, Body()]
    app.webhooks.add_api_route(
        event,
        receive,
        methods=["POST"],
        operation_id=operation_id,
        summary=summary,
        description=description,
        tags=[tag],
        status_code=204,
        responses={204: {"description": "Received (any 2xx will do)."}},
    )
