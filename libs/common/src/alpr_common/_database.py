"""Async database access: one engine per process, one unit of work per request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Self

import structlog
from fastapi import Depends, Request
from sqlalchemy import Select, text
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_log = structlog.get_logger("alpr.database")


class FromRow:
    """A base for the dataclass of a query's row: ``X.of(mapping)`` is the row, its fields the
    columns by name."""

    @classmethod
    def of(cls, row: RowMapping) -> Self:
        make: Callable[..., Self] = cls
        return make(**row)

    @classmethod
    async def first(
        cls, session: AsyncSession | AsyncConnection, query: Select[Any], *, lock: bool = False
    ) -> Self | None:
        """The first row of ``query`` (None when there is none), locked ``FOR UPDATE`` when
        ``lock``."""
        row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
        return None if row is None else cls.of(row)


def async_database_url(url: str) -> str:
    """``postgresql://...`` (as operators write it) with the asyncpg driver named."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, application_name: str, pool_size: int = 5, role: str | None = None, pre_ping: bool = False
) -> AsyncEngine:
    """The process's engine; nothing connects until first use.

    ``role``: a database role every connection takes on at start (least privilege, R30), e.g.
    the audit writer that may only INSERT and SELECT the ledger.
    """
    server_settings = {"application_name": application_name}
    if role:
        server_settings["role"] = role
    return create_async_engine(
        async_database_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=1800,
        # Errors and logs never carry statement parameters (plates, names, case data).
        hide_parameters=True,
        connect_args={
            "server_settings": server_settings,
            "timeout": 5,
        },
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def check_database(engine: AsyncEngine, timeout_s: float = 3.0) -> None:
    """Raises when the database does not answer ``SELECT 1`` within ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit on success, roll back on any error.

    Service functions only ``flush()``; a state change and its outbox row commit together.
    """
    maker: async_sessionmaker[AsyncSession] | None = getattr(request.app.state, "sessionmaker", None)
    if maker is None:
        raise RuntimeError("this service has no database")
    compensations: list[Compensation] = []
    request.state.compensations = compensations
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            # Work outside the transaction (objects written to the store) is undone too.
            for undo in reversed(compensations):
                try:
                    await undo()
                except Exception as exc:  # noqa: BLE001 - keep undoing the rest
                    _log.error("compensation_failed", error=repr(exc))
            raise
        # Work that must follow the commit (ledger events sent at once, issue 16): each is
        # best effort, the outbox keeps what one could not do.
        for follow_up in session.info.pop(_AFTER_COMMIT, []):
            try:
                await follow_up()
            except Exception as exc:  # noqa: BLE001 - the change stands; the outbox retries
                _log.warning("after_commit_failed", error=type(exc).__name__)


async def get_reader(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection with no transaction, for a request that only reads (a search): each
    statement sees what was committed when it started, and no BEGIN or COMMIT round trip is
    paid (issue 16: what search adds above its SQL and its audit append)."""
    engine: AsyncEngine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        raise RuntimeError("this service has no database")
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


Compensation = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "alpr_after_commit"


def after_commit(session: AsyncSession, work: Compensation) -> None:
    """Registers ``work`` to run once this request's unit of work has committed (never if it
    rolls back), before the answer goes out."""
    session.info.setdefault(_AFTER_COMMIT, []).append(work)


def on_rollback(request: Request, undo: Compensation) -> None:
    """Registers ``undo`` to run if this request's unit of work rolls back (or its commit
    fails): how a write outside the database (an object in the store) stays all-or-nothing."""
    compensations: list[Compensation] | None = getattr(request.state, "compensations", None)
    if compensations is None:
        raise RuntimeError("on_rollback needs the request's DbSession")
    compensations.append(undo)


# "function" scope: the unit of work commits when the endpoint returns, before the response
# goes out, so a failed commit is the answer (503, nothing acknowledged that was not stored)
# and a client that got its answer finds the change in its next request. With FastAPI's
# default ("request") the commit ran after the response was sent: a 200 for a rolled-back
# change.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


# A request that only reads: no unit of work to commit, nothing to roll back.
DbReader = Annotated[AsyncConnection, Depends(get_reader, scope="function")]


async def driver_of(conn: AsyncConnection | AsyncSession) -> Any:
    """The asyncpg connection under ``conn`` (a session's within its transaction), for what the
    ORM layer would slow or cannot do: COPY, LISTEN, server-side cursors, hot prepared statements."""
    connection = await conn.connection() if isinstance(conn, AsyncSession) else conn
    raw = await connection.get_raw_connection()
    return raw.driver_connection
