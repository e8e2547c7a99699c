"""Persistence of alerts and of the event sequence their streams replay."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import DateTime, Interval, delete, func, insert, literal, literal_column, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import LEDGER_TOPIC, FromRow, driver_of

from ..tables import alert_events, alerts, deliveries, stream_tickets
from ..vocabulary import AlertState
from ..webhooks.topic import WEBHOOK_TOPIC
from .feed import CHANNEL


@dataclass(frozen=True)
class AlertRow(FromRow):
    """An alert: one row of ``hotlist.alerts``, its fields in column order. ``entry`` (the entry
    as it was when the read matched) and ``transitions`` are JSON documents as stored."""

    id: uuid.UUID
    read_id: uuid.UUID
    entry_id: uuid.UUID
    hotlist_id: uuid.UUID
    agency: str
    camera_id: uuid.UUID
    plate: str
    region: str
    confidence: float
    captured_at: datetime
    crop_key: str | None
    grade: str
    state: str
    entry: dict[str, Any]
    transitions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    model_version: str | None
    disposition: str | None = None  # R14: set by the move into a final state

    def columns(self) -> dict[str, Any]:
        """Its columns by name, as they are (not copied): what the API shapes validate from."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class AlertKeys(Protocol):
    """What an alert fans out by: its id, and the agency and hotlist whose streams and
    subscriptions see it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def agency(self) -> str: ...
    @property
    def hotlist_id(self) -> uuid.UUID: ...


def key_arrays(rows: Sequence[AlertKeys]) -> dict[str, list[uuid.UUID] | list[str]]:
    """The keys of ``rows`` as the arrays a fan-out statement unnests (``:ids``, ``:agencies``,
    ``:hotlists``), in the rows' order."""
    return {
        "ids": [r.id for r in rows],
        "agencies": [r.agency for r in rows],
        "hotlists": [r.hotlist_id for r in rows],
    }


@dataclass(frozen=True)
class AlertEventRow:
    """An alert's event on the streams: its position (``seq``), its kind and the alert as it is."""

    seq: int
    kind: str
    alert: AlertRow


@dataclass(frozen=True)
class SourceMisreads:
    """R22: one camera and model version's checked alerts, and how many were misreads."""

    camera_id: uuid.UUID
    model_version: str
    checked: int
    misreads: int


@dataclass(frozen=True)
class TicketRow:
    """A stream ticket's principal as it was at issue (``hotlist.stream_tickets``, less the hash
    and the times)."""

    sub: str
    name: str
    agency: str
    roles: list[str]
    client_id: str | None
    badge: str | None
    training_expires: date | None


# Events are numbered under a transaction-level lock held to commit, so sequence order is
# commit order and a stream resuming after N misses nothing. The same statement queues the
# wake-up of the streams (sent on commit). The lock is a joined one-row CTE: it is taken when
# the first row is produced, before any identity value is drawn.
_RECORD_EVENTS = text(
    f"""
    WITH gate AS (
        SELECT pg_advisory_xact_lock(hashtext('hotlist.alert_events')), pg_notify('{CHANNEL}', '')
    )
    INSERT INTO hotlist.alert_events (alert_id, agency, hotlist_id, kind, created_at)
    SELECT a.id, a.agency, a.hotlist_id, :kind, :at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:agencies AS text[]), CAST(:hotlists AS uuid[]))
        WITH ORDINALITY AS a(id, agency, hotlist_id, n)
    CROSS JOIN gate
    ORDER BY a.n
    """
)


# Creating alerts is one statement: the alerts not made before (a redelivered read makes none),
# then for the new ones only, their stream events (numbered under the lock, with the wake-up),
# their webhook deliveries and their ledger events. The input rows carry each alert's webhook
# payload and ledger event, built by the caller.
_CREATE = f"""
WITH input AS (
    SELECT * FROM jsonb_to_recordset(CAST($1 AS jsonb)) AS x(
        id uuid, read_id uuid, entry_id uuid, hotlist_id uuid, agency varchar, camera_id uuid,
        plate varchar, region varchar, confidence float8, captured_at timestamptz, crop_key text,
        grade varchar, state varchar, entry jsonb, created_at timestamptz, webhook jsonb, ledger jsonb,
        model_version varchar
    )
),
new AS (
    INSERT INTO hotlist.alerts (id, read_id, entry_id, hotlist_id, agency, camera_id, plate, region,
        confidence, captured_at, crop_key, grade, state, entry, transitions, created_at, updated_at,
        model_version)
    SELECT id, read_id, entry_id, hotlist_id, agency, camera_id, plate, region, confidence, captured_at,
        crop_key, grade, state, entry, '[]'::jsonb, created_at, created_at, model_version
    FROM input
    ON CONFLICT ON CONSTRAINT uq_alerts_read_entry DO NOTHING
    RETURNING id, agency, hotlist_id
),
gate AS (
    SELECT pg_advisory_xact_lock(hashtext('hotlist.alert_events')) AS locked,
        pg_notify('{CHANNEL}', '') AS woken
    WHERE EXISTS (SELECT 1 FROM new)
),
events AS (
    INSERT INTO hotlist.alert_events (alert_id, agency, hotlist_id, kind, created_at)
    SELECT new.id, new.agency, new.hotlist_id, 'alert.created', CAST($2 AS timestamptz)
    FROM new CROSS JOIN gate
),
hooks AS (
    INSERT INTO hotlist.deliveries
        (message_id, webhook_id, alert_id, event, payload, status, attempts, next_attempt_at, created_at)
    SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.id, new.id, 'alert.created',
        jsonb_build_object('type', 'alert.created', 'timestamp', CAST($2 AS timestamptz), 'data', i.webhook),
        'pending', 0, CAST($2 AS timestamptz), CAST($2 AS timestamptz)
    FROM new
    JOIN input i ON i.id = new.id
    JOIN hotlist.webhooks w
      ON w.agency = new.agency AND w.active
         AND (w.hotlist_ids IS NULL OR new.hotlist_id = ANY (w.hotlist_ids))
    RETURNING id, message_id
),
hook_messages AS (
    INSERT INTO hotlist.outbox_messages (message_id, topic, payload)
    SELECT CAST(substr(message_id, 5) AS uuid), '{WEBHOOK_TOPIC}', jsonb_build_object('delivery_id', id)
    FROM hooks
),
ledger AS (
    INSERT INTO hotlist.outbox_messages (message_id, topic, payload)
    SELECT CAST(i.ledger->>'event_id' AS uuid), '{LEDGER_TOPIC}', i.ledger
    FROM new JOIN input i ON i.id = new.id
)
SELECT count(*) FROM new
"""


async def create(session: AsyncSession, rows: Sequence[dict[str, Any]], at: datetime) -> int:
    """Creates the alerts of ``rows`` not made before; answers how many were new. The hot path
    of matching: the driver runs it directly (prepared once per connection)."""
    driver = await driver_of(session)
    made: int = await driver.fetchval(_CREATE, json.dumps(rows, default=str), at)
    return made


async def record_events(session: AsyncSession, kind: str, rows: Sequence[AlertRow], at: datetime) -> None:
    """Numbers the events of ``rows`` for the streams and wakes them on commit (one round trip)."""
    await session.execute(_RECORD_EVENTS, {"kind": kind, "at": at, **key_arrays(rows)})


async def get(
    session: AsyncSession, agency: str, alert_id: uuid.UUID, *, lock: bool = False
) -> AlertRow | None:
    q = select(alerts).where(alerts.c.agency == agency, alerts.c.id == alert_id)
    return await AlertRow.first(session, q, lock=lock)


async def set_state(
    session: AsyncSession,
    alert_id: uuid.UUID,
    state: str,
    disposition: str | None,
    transitions: list[dict[str, Any]],
    at: datetime,
) -> AlertRow:
    q = (
        update(alerts)
        .where(alerts.c.id == alert_id)
        .values(state=state, disposition=disposition, transitions=transitions, updated_at=at)
        .returning(*alerts.c)
    )
    return AlertRow.of((await session.execute(q)).mappings().one())


async def list_page(
    session: AsyncSession,
    agency: str,
    *,
    states: Sequence[str],
    hotlist_ids: Sequence[uuid.UUID],
    since: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AlertRow]:
    """Newest first."""
    q = select(alerts).where(alerts.c.agency == agency)
    if states:
        q = q.where(alerts.c.state.in_(states))
    if hotlist_ids:
        q = q.where(alerts.c.hotlist_id.in_(hotlist_ids))
    if since:
        q = q.where(alerts.c.created_at >= since)
    if before:
        q = q.where(func.row(alerts.c.created_at, alerts.c.id) < func.row(*before))
    q = q.order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit)
    return [AlertRow.of(row) for row in (await session.execute(q)).mappings()]


async def last_seq(session: AsyncSession, agency: str) -> int:
    q = select(func.coalesce(func.max(alert_events.c.seq), 0)).where(alert_events.c.agency == agency)
    return int((await session.execute(q)).scalar_one())


async def events_after(
    session: AsyncSession, agency: str, after: int, hotlist_ids: Sequence[uuid.UUID], limit: int
) -> list[AlertEventRow]:
    """The agency's alert events after position ``after``, in order, each with its alert."""
    q = (
        select(alert_events.c.seq, alert_events.c.kind, *alerts.c)
        .join(alerts, alerts.c.id == alert_events.c.alert_id)
        .where(alert_events.c.agency == agency, alert_events.c.seq > after)
    )
    if hotlist_ids:
        q = q.where(alert_events.c.hotlist_id.in_(hotlist_ids))
    q = q.order_by(alert_events.c.seq).limit(limit)
    columns = alerts.c.keys()
    return [
        AlertEventRow(seq=row["seq"], kind=row["kind"], alert=AlertRow(**{c: row[c] for c in columns}))
        for row in (await session.execute(q)).mappings()
    ]


async def counts_by_state(session: AsyncSession, agency: str) -> dict[str, int]:
    q = select(alerts.c.state, func.count()).where(alerts.c.agency == agency).group_by(alerts.c.state)
    return {state: int(n) for state, n in (await session.execute(q)).all()}


async def misreads_by_source(session: AsyncSession, agency: str) -> list[SourceMisreads]:
    """R22: alerts an officer has checked (moved past `alert`, as for the misread rate) and those
    closed as misread, per camera and recognition model version (`unknown` where not reported);
    sources with nothing checked yet are left out."""
    version = func.coalesce(alerts.c.model_version, literal_column("'unknown'"))
    checked = func.count().filter(alerts.c.state != AlertState.ALERT.value)
    misreads = func.count().filter(alerts.c.state == AlertState.MISREAD.value)
    query = (
        select(
            alerts.c.camera_id,
            version.label("model_version"),
            checked.label("checked"),
            misreads.label("misreads"),
        )
        .where(alerts.c.agency == agency)
        .group_by(alerts.c.camera_id, version)
        .having(checked > 0)
        .order_by(alerts.c.camera_id, version)
    )
    return [SourceMisreads(**row) for row in (await session.execute(query)).mappings()]


def _closed_before(cutoff: datetime, closed: Sequence[str]) -> Any:
    return (alerts.c.created_at < cutoff) & alerts.c.state.in_(list(closed))


async def closed_before(conn: AsyncConnection, cutoff: datetime, closed: Sequence[str]) -> dict[str, int]:
    """Per agency, its alerts made before ``cutoff`` that are in one of the ``closed`` states."""
    q = select(alerts.c.agency, func.count()).where(_closed_before(cutoff, closed)).group_by(alerts.c.agency)
    return {agency: int(n) for agency, n in (await conn.execute(q)).all()}


async def delete_closed_before(conn: AsyncConnection, cutoff: datetime, closed: Sequence[str]) -> None:
    """Deletes those alerts with their webhook deliveries (their stream events go by cascade)."""
    expired = _closed_before(cutoff, closed)
    await conn.execute(
        delete(deliveries).where(deliveries.c.alert_id.in_(select(alerts.c.id).where(expired)))
    )
    await conn.execute(delete(alerts).where(expired))


# Retention by each agency's policy (R14, issue 17).


async def agencies_with(conn: AsyncConnection, states: Sequence[str]) -> list[str]:
    """The agencies that have alerts in one of ``states``."""
    q = select(alerts.c.agency).where(alerts.c.state.in_(list(states))).distinct().order_by(alerts.c.agency)
    return [str(a) for a in (await conn.execute(q)).scalars()]


def _agency_closed_before(agency: str, cutoff: datetime, states: Sequence[str]) -> Any:
    return (alerts.c.agency == agency) & _closed_before(cutoff, states)


async def count_agency_closed_before(
    conn: AsyncConnection, agency: str, cutoff: datetime, states: Sequence[str]
) -> int:
    """The agency's alerts made before ``cutoff`` in one of ``states``."""
    q = select(func.count()).select_from(alerts).where(_agency_closed_before(agency, cutoff, states))
    return int(await conn.scalar(q) or 0)


async def delete_agency_closed_before(
    conn: AsyncConnection, agency: str, cutoff: datetime, states: Sequence[str]
) -> None:
    """Deletes those alerts with their webhook deliveries (their stream events go by cascade)."""
    expired = _agency_closed_before(agency, cutoff, states)
    await conn.execute(
        delete(deliveries).where(deliveries.c.alert_id.in_(select(alerts.c.id).where(expired)))
    )
    await conn.execute(delete(alerts).where(expired))


async def hit_crop_keys(session: AsyncSession, agency: str, confirmed: str) -> list[str]:
    """The crop keys of the agency's confirmed hits still kept (R14, issue 17)."""
    q = (
        select(alerts.c.crop_key)
        .where(alerts.c.agency == agency, alerts.c.state == confirmed, alerts.c.crop_key.is_not(None))
        .distinct()
        .order_by(alerts.c.crop_key)
    )
    return [str(k) for k in (await session.execute(q)).scalars()]


# Stream tickets (issue 18) live by the database's clock, one clock for every replica.
_DB_NOW = func.statement_timestamp(type_=DateTime(timezone=True))


async def add_ticket(
    session: AsyncSession, ticket_hash: bytes, principal: TicketRow, seconds: int
) -> datetime:
    """Stores a ticket's hash with its principal, valid ``seconds`` from now; answers its expiry.
    Expired tickets go in the same transaction (nothing else would remove them)."""
    await session.execute(delete(stream_tickets).where(stream_tickets.c.expires_at <= _DB_NOW))
    q = (
        insert(stream_tickets)
        .values(
            ticket_hash=ticket_hash,
            created_at=_DB_NOW,
            expires_at=_DB_NOW + literal(timedelta(seconds=seconds), Interval()),
            **asdict(principal),
        )
        .returning(stream_tickets.c.expires_at)
    )
    expires: datetime = (await session.execute(q)).scalar_one()
    return expires


async def take_ticket(session: AsyncSession, ticket_hash: bytes) -> TicketRow | None:
    """The principal of an unexpired ticket, which is deleted by the same statement: of two
    replicas racing for one ticket, one gets the row and the other nothing."""
    q = (
        delete(stream_tickets)
        .where(stream_tickets.c.ticket_hash == ticket_hash, stream_tickets.c.expires_at > _DB_NOW)
        .returning(*(stream_tickets.c[f.name] for f in fields(TicketRow)))
    )
    row = (await session.execute(q)).mappings().first()
    return None if row is None else TicketRow(**row)
