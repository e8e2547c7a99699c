"""Standard Webhooks signatures (HMAC-SHA256 over ``id.timestamp.body``), through the scheme's
own reference library so receivers can verify with any of its implementations."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook


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
