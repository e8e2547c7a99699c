"""A sync (R10, R11): fetch a source's feed, parse it, and replace the source's entries in one
transaction, so matching sees the old list or the new one and never a mix. Bad rows are left
out and reported by line; a feed that cannot be fetched or is malformed as a whole changes
nothing, and the list goes stale (stops matching) once 24 hours pass without a good sync.
Every sync, good or failed, is in the sync log and on the ledger."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from alpr_common import Action, OutboundClient, Outcome, Principal, ServiceClients, audit_event

from ..clock import now
from ..matching.keys import match_key
from ..settings import Settings
from ..vocabulary import EntryStatus, Origin
from . import repository
from .fetch import FetchError, access_token, fetch
from .layout import FeedEntry, MalformedFeed, ParsedFeed, parse_feed
from .repository import SourceRow, SyncRow
from .schemas import SyncPublic

_log = structlog.get_logger("alpr.hotlist.sync")
MAX_REPORTED_ERRORS = 1000


@dataclass
class SyncDeps:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clients: ServiceClients
    # Feeds and token endpoints are fetched only through the outbound-URL policy (issue 19).
    outbound: OutboundClient


def system_actor(settings: Settings, agency: str) -> Principal:
    """Who a scheduled sync is recorded as: the service's own client."""
    client = settings.client_id or "svc-hotlist"
    return Principal(
        sub=client, name="hotlist sync", agency=agency, roles=frozenset({"service"}), client_id=client
    )


def _record(source: SourceRow, entry: FeedEntry, stamp: datetime) -> tuple[Any, ...]:
    vehicle = {
        "make": entry.vehicle_make,
        "model": entry.vehicle_model,
        "color": entry.vehicle_color,
        "year": entry.vehicle_year,
    }
    refreshed = min(entry.refreshed_at, stamp) if entry.refreshed_at else stamp
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "hotlist_id": source.hotlist_id,
        "agency": source.agency,
        "origin": Origin.SYNC.value,
        "source_id": source.id,
        "plate": entry.plate,
        "match_key": match_key(entry.plate),
        "state": entry.state,
        "plate_type": entry.plate_type,
        "vehicle": json.dumps({k: v for k, v in vehicle.items() if v is not None}),
        "reason": entry.reason,
        "reason_code": entry.reason_code,
        "ori": entry.ori,
        "ncic_number": entry.ncic_number,
        "entered_on": entry.entered_on,
        "expires_at": entry.expires_at,
        "shareable": False,
        "status": EntryStatus.ACTIVE.value,
        "refreshed_at": refreshed,
        "created_at": stamp,
        "updated_at": stamp,
    }
    return tuple(values[c] for c in repository.ENTRY_COLUMNS)


async def sync_source(deps: SyncDeps, source_id: uuid.UUID, actor: Principal | None = None) -> SyncPublic:
    """Syncs one source now; answers the sync as logged (``status`` `ok` or `failed`)."""
    async with deps.sessions() as session:
        source = await repository.get(session, source_id)
    if source is None:
        raise LookupError(f"no source {source_id}")
    actor = actor or system_actor(deps.settings, source.agency)
    started = now()
    try:
        token = await access_token(source, deps.outbound, deps.settings)
        data = await fetch(source.url, deps.settings, deps.outbound, token)
        parsed = await asyncio.to_thread(
            parse_feed, data, source.format, max_bad_fraction=deps.settings.max_bad_row_fraction
        )
    except (FetchError, MalformedFeed) as exc:
        return await _failed(deps, source, actor, started, str(exc))
    return await _replace(deps, source, actor, started, parsed)


async def _replace(
    deps: SyncDeps, source: SourceRow, actor: Principal, started: datetime, parsed: ParsedFeed
) -> SyncPublic:
    stamp = now()
    records = [_record(source, e, stamp) for e in parsed.entries]
    errors = [{"line": e.line, "error": e.error} for e in parsed.errors[:MAX_REPORTED_ERRORS]]
    async with deps.sessions() as session, session.begin():
        await repository.get(session, source.id, lock=True)  # one sync of a source at a time
        removed = await repository.replace_entries(session, source.id, records)
        finished = now()
        sync = SyncRow(
            id=uuid.uuid4(),
            source_id=source.id,
            started_at=started,
            finished_at=finished,
            status="ok",
            loaded=len(records),
            rejected=len(parsed.errors),
            removed=removed,
            errors=errors,
            error=None,
        )
        await repository.record_sync(session, sync)
        counts = {"loaded": len(records), "rejected": len(parsed.errors), "removed": removed}
        await repository.update_source(
            session,
            source.id,
            {
                "last_attempt_at": started,
                "last_success_at": finished,
                "last_status": "ok",
                "last_error": None,
                "last_counts": counts,
            },
        )
        bad_lines = [e.line for e in parsed.errors[:100]]
        await _record_sync(deps, source, actor, {"status": "ok", **counts, "bad_lines": bad_lines})
    _log.info("hotlist_synced", source=str(source.id), **counts)
    return SyncPublic.model_validate(sync, from_attributes=True)


async def _record_sync(
    deps: SyncDeps,
    source: SourceRow,
    actor: Principal,
    data: dict[str, Any],
    *,
    outcome: Outcome = Outcome.ALLOWED,
    outcome_reason: str | None = None,
) -> None:
    """Records a sync of ``source`` on the ledger: done (its counts), or refused (why)."""
    await deps.clients.audit.record(
        audit_event(
            actor,
            Action.HOTLIST_SYNCED,
            source="hotlist",
            outcome=outcome,
            outcome_reason=outcome_reason,
            agency=source.agency,
            targets=[str(source.hotlist_id), str(source.id)],
            data=data,
        )
    )


async def _failed(
    deps: SyncDeps, source: SourceRow, actor: Principal, started: datetime, error: str
) -> SyncPublic:
    sync = SyncRow(
        id=uuid.uuid4(),
        source_id=source.id,
        started_at=started,
        finished_at=now(),
        status="failed",
        loaded=0,
        rejected=0,
        removed=0,
        errors=[],
        error=error[:2000],
    )
    async with deps.sessions() as session, session.begin():
        await repository.record_sync(session, sync)
        await repository.update_source(
            session,
            source.id,
            {"last_attempt_at": started, "last_status": "failed", "last_error": error[:2000]},
        )
    _log.warning("hotlist_sync_failed", source=str(source.id), error=error)
    try:
        await _record_sync(
            deps,
            source,
            actor,
            {"status": "failed", "error": error[:500]},
            outcome=Outcome.REFUSED,
            outcome_reason="feed_unusable",
        )
    except Exception as exc:  # noqa: BLE001 - the failure is in the sync log either way
        _log.warning("hotlist_sync_failure_not_audited", error=repr(exc))
    return SyncPublic.model_validate(sync, from_attributes=True)


async def sync_due(deps: SyncDeps) -> list[SyncPublic]:
    """Syncs every enabled source whose interval has passed (the in-service scheduler)."""
    async with deps.sessions() as session, session.begin():
        ids = await repository.claim_due(session, now())
    return [await sync_source(deps, source_id) for source_id in ids]


async def sync_all(deps: SyncDeps, only: uuid.UUID | None = None) -> list[SyncPublic]:
    """Syncs every enabled source now, or only ``only`` (``alpr hotlist sync``)."""
    if only is not None:
        return [await sync_source(deps, only)]
    async with deps.sessions() as session:
        rows = await repository.list_for(session, None)
    return [await sync_source(deps, r.id) for r in rows if r.enabled]


async def run_scheduler(deps: SyncDeps) -> None:
    """Syncs due sources until cancelled."""
    while True:
        try:
            await sync_due(deps)
        except Exception as exc:  # noqa: BLE001 - the database or ledger may be restarting
            _log.warning("hotlist_scheduler_failed", error=repr(exc))
        await asyncio.sleep(deps.settings.scheduler_poll_seconds)
