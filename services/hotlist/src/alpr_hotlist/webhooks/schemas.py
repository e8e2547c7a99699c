"""API shapes of webhook subscriptions and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AnyHttpUrl, BaseModel, Field

from alpr_common import DeliveryProgress

from ..alerts.schemas import AlertPublic


class WebhookCreate(BaseModel):
    url: AnyHttpUrl = Field(description="Receives `POST`s signed per the Standard Webhooks scheme.")
    hotlist_ids: list[uuid.UUID] | None = Field(None, max_length=100, description="Default: every hotlist.")
    description: str | None = Field(None, max_length=500)


class WebhookPublic(BaseModel):
    id: uuid.UUID
    agency: str
    url: str
    hotlist_ids: list[uuid.UUID] | None
    description: str | None
    active: bool
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="`whsec_` + base64 key for verifying `webhook-signature`; shown only in this answer."
    )


class AlertDelivery(BaseModel):
    """A logged delivery's own fields, first in ``DeliveryPublic``: which try, of what."""

    id: int
    message_id: str = Field(description="The `webhook-id` header: the same on every retry.")
    alert_id: uuid.UUID
    event: str


class DeliveryPublic(DeliveryProgress, AlertDelivery):
    status: str = Field(description="`pending` (will be retried), `delivered` or `failed` (gave up).")


class AlertWebhookType(StrEnum):
    """What happened to the alert: made by a match, or moved to another state by a person."""

    CREATED = "alert.created"
    TRANSITIONED = "alert.transitioned"


class AlertWebhook(BaseModel):
    """The body of one delivery to a subscribed receiver (Standard Webhooks: verify
    `webhook-signature` over `webhook-id.webhook-timestamp.body` with the subscription's secret
    before trusting it; `webhook-id` is the same on every retry, so a receiver drops repeats)."""

    type: AlertWebhookType
    timestamp: datetime = Field(description="When the delivery was queued, in the alert's transaction.")
    data: AlertPublic = Field(
        description="The alert as `GET /v1/alerts/{id}` shows it; `crop_url` presigned at send time."
    )
