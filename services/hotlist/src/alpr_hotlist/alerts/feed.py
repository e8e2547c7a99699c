"""Wakes alert streams when an alert is created or moves.

Alerts are announced with PostgreSQL ``NOTIFY`` in the transaction that writes them, so a
notification arrives only once the alert is committed, on every replica. A notification only
wakes the streams: each stream then reads what is new from the table, which stays the one
source of truth (a missed notification delays an event by one keep-alive at most).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import driver_of

CHANNEL = "hotlist_alerts"
_log = structlog.get_logger("alpr.hotlist.feed")


class AlertFeed:
    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.listening = asyncio.Event()

    def current(self) -> asyncio.Event:
        """The event the next notification sets: take it *before* reading, then wait on it."""
        return self._changed

    def _notify(self, *_: Any) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def run(self, engine: AsyncEngine, check_s: float = 5.0) -> None:
        """Listens until cancelled, reconnecting after a database restart (backing off to one try
        every 10 s; logged when it starts failing, once a minute after, and when it is back)."""
        failures, logged_at = 0, 0.0
        while True:
            try:
                async with engine.connect() as conn:
                    driver = await driver_of(conn)
                    await driver.add_listener(CHANNEL, self._notify)
                    try:
                        if failures:
                            _log.info("alert_feed_listening_again", failures_in_a_row=failures)
                            failures = 0
                        self.listening.set()
                        self._notify()  # anything committed while we were not listening
                        while not driver.is_closed():
                            await asyncio.sleep(check_s)
                            await driver.execute("SELECT 1")
                    finally:
                        if not driver.is_closed():
                            await driver.remove_listener(CHANNEL, self._notify)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be restarting; listen again
                failures += 1
                if failures == 1 or time.monotonic() - logged_at >= 60:
                    logged_at = time.monotonic()
                    _log.warning("alert_feed_reconnect", error=repr(exc), failures_in_a_row=failures)
            self.listening.clear()
            await asyncio.sleep(min(0.5 * 2 ** min(failures, 5), 10.0))
