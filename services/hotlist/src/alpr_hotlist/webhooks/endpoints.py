"""``/v1/webhooks`` (``alpr_admin``): subscriptions and their delivery log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, FastAPI

from alpr_common import (
    Action,
    AdminPrincipal,
    AuditUnavailable,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    document_webhook,
    read,
)

from ..context import Ctx
from . import service
from .schemas import (
    AlertWebhook,
    AlertWebhookType,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
)

router = APIRouter(tags=["webhooks"])


@router.post("/v1/webhooks", **change(Action.HOTLIST_UPDATED, status=201, refuses=(AuditUnavailable,)))
async def create_webhook(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, body: WebhookCreate
) -> WebhookCreated:
    """Subscribes a URL to the agency's alert events. Each `POST` carries `webhook-id`,
    `webhook-timestamp` and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
    `id.timestamp.body` under the secret answered here, once)."""
    return await service.create(ctx, session, principal, body)


@router.get("/v1/webhooks", **read())
async def list_webhooks(session: DbSession, principal: AdminPrincipal) -> list[WebhookPublic]:
    """The agency's subscriptions (secrets are never shown again)."""
    return await service.list_webhooks(session, principal)


@router.delete(
    "/v1/webhooks/{webhook_id}", **change(Action.HOTLIST_UPDATED, refuses=(NotFound, AuditUnavailable))
)
async def delete_webhook(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, webhook_id: uuid.UUID
) -> WebhookPublic:
    """Deactivates a subscription; its delivery log stays."""
    return await service.deactivate(ctx, session, principal, webhook_id)


@router.get("/v1/webhooks/{webhook_id}/deliveries", **read(refuses=(NotFound,)))
async def list_deliveries(
    session: DbSession,
    principal: AdminPrincipal,
    webhook_id: uuid.UUID,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryPublic]:
    """The delivery log, newest first: attempts, last answer, and whether it got through."""
    return await service.deliveries(session, principal, webhook_id, limit, cursor)


def document_webhooks(app: FastAPI) -> None:
    """The deliveries a subscription receives, in the document's ``webhooks`` section (OpenAPI
    3.1): one operation per event type, its body `AlertWebhook`, its signature headers."""
    for event in AlertWebhookType:
        moved = "created" if event is AlertWebhookType.CREATED else "moved"
        document_webhook(
            app,
            event.value,
            AlertWebhook,
            operation_id="hotlist-webhook-" + event.value.replace(".", "-"),
            summary=f"Webhook: {event.value}",
            description=(
                f"Sent to each active subscription of the alert's agency (and hotlist) when an "
                f"alert is {moved}. Answer 2xx to acknowledge; anything else, or no answer within "
                "the timeout, is retried with backoff and shown in `GET /v1/webhooks/{id}/deliveries`."
            ),
        )
