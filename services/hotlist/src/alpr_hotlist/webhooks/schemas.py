"""API shapes of webhook subscriptions and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, Field


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


class DeliveryPublic(BaseModel):
    id: int
    message_id: str = Field(description="The `webhook-id` header: the same on every retry.")
    alert_id: uuid.UUID
    event: str
    status: str = Field(description="`pending` (will be retried), `delivered` or `failed` (gave up).")
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
