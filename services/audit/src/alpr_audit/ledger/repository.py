"""Every SQL statement on the ledger."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import driver_of

from ..tables import ledger, ledger_base
from .canonical import GENESIS_HASH

# Serializes appends across every process writing this ledger: the chain never forks.
LEDGER_LOCK_KEY = 0x41_4C_50_52_4C_45_44  # "ALPRLED"


@dataclass(frozen=True, slots=True)
class Head:
    sequence: int
    hash: str


async def lock_and_read_head(conn: AsyncConnection) -> Head:
    """Takes the ledger's append lock for this transaction and answers the chain's head.

    Two statements on purpose: in READ COMMITTED the head read takes its snapshot after the
    lock is held, so it sees the transaction that held the lock before this one."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK_KEY})
    return await newest(conn) or await base(conn)


async def newest(conn: AsyncConnection) -> Head | None:
    """The newest stored event's sequence and hash (None while none is stored)."""
    row = (
        await conn.execute(
            select(ledger.c.sequence, ledger.c.hash).order_by(ledger.c.sequence.desc()).limit(1)
        )
    ).first()
    return Head(row.sequence, row.hash) if row is not None else None


async def head_sequence(conn: AsyncConnection) -> int | None:
    value = await conn.scalar(select(func.max(ledger.c.sequence)))
    return int(value) if value is not None else None


async def base(conn: AsyncConnection) -> Head:
    """Where the stored chain starts: genesis, or the last pruned event (R20)."""
    row = (await conn.execute(select(ledger_base.c.sequence, ledger_base.c.hash))).first()
    return Head(row.sequence, row.hash) if row else Head(0, GENESIS_HASH)


async def existing_receipts(conn: AsyncConnection, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Head]:
    """Where events with these ids already are (one indexed lookup for a whole group)."""
    if not event_ids:
        return {}
    driver = await driver_of(conn)
    rows = await driver.fetch(
        "SELECT event_id, sequence, hash FROM audit.ledger WHERE event_id = ANY($1::uuid[])", list(event_ids)
    )
    return {row["event_id"]: Head(row["sequence"], row["hash"]) for row in rows}


LedgerRow = tuple[int, str, str, str, uuid.UUID]
EVENT_ID_INDEX = "uq_ledger_event_id"


async def insert_rows(conn: AsyncConnection, rows: Sequence[LedgerRow]) -> None:
    """(sequence, canonical, prev_hash, hash, event_id) rows, by COPY inside the caller's
    transaction."""
    driver = await driver_of(conn)
    await driver.copy_records_to_table(
        "ledger",
        schema_name="audit",
        records=rows,
        columns=["sequence", "canonical", "prev_hash", "hash", "event_id"],
    )


async def hash_at(conn: AsyncConnection, sequence: int) -> str | None:
    if sequence == 0:
        return GENESIS_HASH
    value = await conn.scalar(select(ledger.c.hash).where(ledger.c.sequence == sequence))
    if value is None:
        start = await base(conn)
        return start.hash if start.sequence == sequence else None
    return str(value)


async def last_recorded_before(conn: AsyncConnection, cutoff: str) -> int | None:
    """The newest sequence recorded before ``cutoff`` (fixed-width UTC text)."""
    value = await conn.scalar(
        select(func.max(ledger.c.sequence)).where(literal_column("event->>'recorded_at'") < cutoff)
    )
    return int(value) if value is not None else None


async def count_through(conn: AsyncConnection, last: int) -> int:
    return int(
        await conn.scalar(select(func.count()).select_from(ledger).where(ledger.c.sequence <= last)) or 0
    )


async def prune_through(conn: AsyncConnection, last: int) -> int:
    """Removes the events through ``last`` (the database function moves the chain's base, R20);
    answers how many went."""
    return int(await conn.scalar(text("SELECT audit.prune_ledger(:seq)"), {"seq": last}) or 0)


async def bounds(conn: AsyncConnection) -> tuple[int, int]:
    row = (await conn.execute(select(func.min(ledger.c.sequence), func.max(ledger.c.sequence)))).one()
    return (row[0] or 0, row[1] or 0)


async def stream_chain(
    conn: AsyncConnection, first: int, last: int, chunk: int = 20_000
) -> AsyncIterator[list[tuple[int, str, str, str]]]:
    """(sequence, canonical, prev_hash, hash) in sequence order, a chunk at a time, through
    a server-side cursor of the driver (the ORM's row processing would double the cost). A row
    whose ``event_id`` column disagrees with the id in its hashed text answers no hash, so the
    chain check finds it broken (the column is what makes appends exactly-once, issue 16)."""
    await conn.execute(text("SELECT 1"))  # the transaction a cursor needs
    driver = await driver_of(conn)
    cursor = await driver.cursor(
        "SELECT sequence, canonical, prev_hash, "
        "CASE WHEN event_id IS NOT DISTINCT FROM (event ->> 'event_id')::uuid THEN hash END "
        "FROM audit.ledger "
        "WHERE sequence >= $1 AND sequence <= $2 ORDER BY sequence",
        first,
        last,
    )
    while True:
        records = await cursor.fetch(chunk)
        if not records:
            return
        yield records


def events_query(
    *,
    agency: str,
    action: str | None,
    actor: str | None,
    plate: str | None,
    case_number: str | None,
    purpose: str | None,
    outcome: str | None,
    since: str | None,
    until: str | None,
    before_sequence: int | None,
    limit: int,
) -> Select[tuple[int, str, str]]:
    """Events of ``agency``, newest first (R27: another agency's events are simply not there).

    Field expressions are literal SQL so they match the expression indexes of the ledger.
    """
    field = {
        "agency": "event->>'agency'",
        "action": "event->>'action'",
        "actor": "event->'actor'->>'sub'",
        "plate": "event->'data'->>'plate'",
        "case_number": "event->>'case_number'",
        "purpose": "event->>'purpose'",
        "outcome": "event->>'outcome'",
        "occurred_at": "event->>'occurred_at'",
    }
    query = select(ledger.c.sequence, ledger.c.canonical, ledger.c.hash).where(
        literal_column(field["agency"]) == agency
    )
    for name, value in (
        ("action", action),
        ("actor", actor),
        ("plate", plate),
        ("case_number", case_number),
        ("purpose", purpose),
        ("outcome", outcome),
    ):
        if value:
            query = query.where(literal_column(field[name]) == value)
    if since:
        query = query.where(literal_column(field["occurred_at"]) >= since)
    if until:
        query = query.where(literal_column(field["occurred_at"]) < until)
    if before_sequence is not None:
        query = query.where(ledger.c.sequence < before_sequence)
    return query.order_by(ledger.c.sequence.desc()).limit(limit)


@dataclass(frozen=True, slots=True)
class EventRow:
    """A stored event: its place in the chain, the canonical JSON that was hashed, its hash."""

    sequence: int
    canonical: str
    hash: str


async def fetch_events(conn: AsyncConnection, query: Select[tuple[int, str, str]]) -> list[EventRow]:
    return [EventRow(r.sequence, r.canonical, r.hash) for r in (await conn.execute(query)).all()]
