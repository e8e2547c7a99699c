"""Sends queued webhook deliveries, retrying failures with exponential backoff until the
receiver answers 2xx or the attempts run out (then `failed`, visible in the delivery log).
The same `webhook-id` goes with every retry, so receivers can drop duplicates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import OutboundClient, retry_delay, send_signed

from ..clock import now
from ..settings import Settings
from . import repository

_log = structlog.get_logger("alpr.hotlist.webhooks")
Presign = Callable[[str | None], str | None]


def body_of(row: RowMapping, presign: Presign) -> str:
    payload: dict[str, Any] = json.loads(json.dumps(row["payload"]))
    data = payload["data"]
    data["crop_url"] = presign(data.pop("crop_key", None))
    return json.dumps(payload, separators=(",", ":"))


async def _send(
    http: OutboundClient, row: RowMapping, presign: Presign, timeout: float
) -> tuple[int | None, str | None]:
    """(status code, error); error is None on a 2xx answer."""
    if not row["active"]:
        return None, "the webhook was deactivated"
    return await send_signed(
        http, row["url"], row["secret"], row["message_id"], body_of(row, presign), timeout
    )


async def deliver_once(
    engine: AsyncEngine, http: OutboundClient, settings: Settings, presign: Presign
) -> int:
    """One batch of due deliveries; answers how many were attempted."""
    async with engine.begin() as conn:
        rows = await repository.claim_due(conn, 32)
        if not rows:
            return 0
        results = await asyncio.gather(
            *(_send(http, r, presign, settings.webhook_timeout_seconds) for r in rows)
        )
        stamp = now()
        for row, (code, error) in zip(rows, results, strict=True):
            attempts = row["attempts"] + 1
            if error is None:
                status, retry = "delivered", None
            elif attempts >= settings.webhook_max_attempts or not row["active"]:
                status, retry = "failed", None
            else:
                status = "pending"
                retry = timedelta(seconds=retry_delay(attempts, settings.webhook_max_backoff_seconds))
            await repository.mark(
                conn, row["id"], status=status, status_code=code, error=error, retry_in=retry, now=stamp
            )
            if error is not None:
                _log.warning("webhook_delivery_failed", delivery=row["id"], attempts=attempts, error=error)
        return len(rows)


async def run(engine: AsyncEngine, http: OutboundClient, settings: Settings, presign: Presign) -> None:
    """Delivers until cancelled; idle polls sleep ``webhook_poll_seconds``."""
    while True:
        try:
            sent = await deliver_once(engine, http, settings, presign)
        except Exception as exc:  # noqa: BLE001 - the database may be restarting; try again
            _log.warning("webhook_poll_failed", error=repr(exc))
            sent = 0
        if not sent:
            await asyncio.sleep(settings.webhook_poll_seconds)
