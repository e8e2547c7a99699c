"""Background tasks a service runs for as long as its app runs (dispatchers, feeds, metrics), and
how its lifespan stops them on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancels every task, then waits until each has stopped: a task's own failure still raises,
    its cancellation does not."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
