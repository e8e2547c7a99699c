"""One lock for processes of this machine that must not do a step at once (test workers and
``alpr dev`` commands): an exclusive ``flock`` on a file, held for a ``with`` block."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``path`` (created when missing) for the block; it is given
    back when the block ends or when the process dies."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
