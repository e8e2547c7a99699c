"""What a command's failure says when the database is the cause. A CronJob run against a
database that is down, that does not exist, that refuses the credentials or that was never
migrated ended with a 100-line traceback from asyncpg and SQLAlchemy; an operator needs one line:
which of these it is and what to do. Nothing of ``DATABASE_URL`` but its host, port and database
name is shown (never the password)."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from types import TracebackType

# asyncpg's errors by what the operator does about them (looked up by name in the loaded module:
# this package does not import asyncpg, and a command that never touched it has none).
_NOT_SET_UP = (
    "UndefinedTableError",
    "InvalidSchemaNameError",
    "UndefinedObjectError",
    "UndefinedFunctionError",
)
_REFUSED = (
    "InvalidCatalogNameError",
    "InvalidPasswordError",
    "InvalidAuthorizationSpecificationError",
    "CannotConnectNowError",
    "TooManyConnectionsError",
)
_ASYNCPG_DIR = f"{os.sep}asyncpg{os.sep}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])


def _through_asyncpg(tb: TracebackType | None) -> bool:
    while tb is not None:
        if _ASYNCPG_DIR in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _where() -> str:
    """host:port/database of DATABASE_URL, for the message (no user, no password)."""
    raw = os.environ.get("DATABASE_URL", "")
    try:
        from sqlalchemy.engine import make_url

        url = make_url(raw)
        socket_dir = url.query.get("host")
        host = url.host or (socket_dir if isinstance(socket_dir, str) else "localhost")
        return f"{host}:{url.port or 5432}/{url.database or ''}"
    except Exception:  # noqa: BLE001 - the message is about the failure, not the URL
        return "DATABASE_URL"


def database_problem(exc: BaseException) -> str | None:
    """One line for a failure whose cause is the database, else None (the traceback stays)."""
    asyncpg = sys.modules.get("asyncpg")
    for error in _chain(exc):
        name = type(error).__name__
        # A role the migrations create (audit's writer) is set on connecting: missing, it is this.
        missing_role = name == "InvalidParameterValueError" and str(error).startswith('role "')
        if (
            asyncpg is not None
            and (name in _NOT_SET_UP or missing_role)
            and isinstance(error, getattr(asyncpg, name))
        ):
            return (
                f"alpr: the database at {_where()} is not set up for this command ({error}); "
                "run `alpr db upgrade` against it first"
            )
        if asyncpg is not None and name in _REFUSED and isinstance(error, getattr(asyncpg, name)):
            return f"alpr: the database at {_where()} refused the connection: {error}"
        # Refused, timed out, no such host, no such Unix socket: an OSError raised inside asyncpg.
        if isinstance(error, (OSError, TimeoutError, socket.gaierror)) and _through_asyncpg(
            error.__traceback__
        ):
            reason = f"{type(error).__name__}: {error}"
            return f"alpr: cannot reach the database at {_where()} ({reason}); is it running?"
    return None
