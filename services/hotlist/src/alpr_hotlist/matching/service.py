"""Matching a batch of reads from ingest (R8, R11, R13): each read's plate, normalised, is looked
up against the agency's usable entries; every hit on an alerting list becomes an alert graded
`exact`, `partial` (a wildcard entry) or `confusable` (equal only once OCR look-alikes are
folded, a lower grade). Idempotent on the read: a redelivered read makes no second alert."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import Accepted, MatchBatch, MatchRead, Principal

from ..alerts import service as alerts
from ..alerts.repository import AlertRow
from ..clock import now
from ..context import HotlistContext
from ..vocabulary import AlertState, Grade
from . import repository
from .keys import match_key, plate_of_read
from .repository import EntryHit


def _region(read: MatchRead) -> str:
    region = read.region.strip().upper()
    return "unknown" if region in {"", "UNKNOWN"} else region


def grade(read_plate: str, hit: EntryHit) -> Grade:
    if hit.partial:
        return Grade.PARTIAL
    return Grade.EXACT if hit.entry_plate == read_plate else Grade.CONFUSABLE


async def find(
    session: AsyncSession,
    reads: list[MatchRead],
    freshness_hours: int = 24,
    min_region_confidence: float = 0.8,
) -> list[tuple[int, str, EntryHit]]:
    """(read index, normalised plate, hit) for every usable entry each read matches.

    The entry's state must be the read's, unless the read's state is unknown or its
    ``region_confidence`` is under ``min_region_confidence`` (issue 21): a doubtful state
    neither hides a hit nor makes one; the person who verifies the alert (R13) sees both."""
    plates = [plate_of_read(r.plate) for r in reads]
    stamp = now()
    hits = await repository.candidates(
        session,
        keys=[match_key(p) for p in plates],
        plates=plates,
        agencies=[r.agency for r in reads],
        regions=[_region(r) for r in reads],
        region_confidences=[r.region_confidence for r in reads],
        min_region_confidence=min_region_confidence,
        now=stamp,
        fresh_since=stamp - timedelta(hours=freshness_hours),
    )
    return [(h.idx, plates[h.idx], h) for h in hits if plates[h.idx]]


def alert_row(read: MatchRead, plate: str, hit: EntryHit, stamp: datetime) -> AlertRow:
    return AlertRow(
        id=uuid.uuid4(),
        read_id=read.read_id,
        entry_id=hit.entry_id,
        hotlist_id=hit.hotlist_id,
        agency=read.agency,
        camera_id=read.camera_id,
        plate=plate,
        region=_region(read),
        confidence=read.confidence,
        captured_at=read.captured_at,
        crop_key=read.crop_key,
        grade=grade(plate, hit).value,
        state=AlertState.ALERT.value,
        entry={
            "plate": hit.entry_plate,
            "state": hit.state,
            "reason": hit.reason,
            "case_number": hit.case_number,
            "ncic_number": hit.ncic_number,
            "hotlist_name": hit.hotlist_name,
            "hotlist_kind": hit.hotlist_kind,
            "priority": hit.priority,
        },
        transitions=[],
        created_at=stamp,
        updated_at=stamp,
        model_version=read.model_version,
    )


async def match_batch(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, batch: MatchBatch
) -> Accepted:
    found = await find(
        session, batch.reads, ctx.settings.freshness_hours, ctx.settings.state_match_min_confidence
    )
    stamp = now()
    rows = [alert_row(batch.reads[i], plate, hit, stamp) for i, plate, hit in found]
    made = await alerts.create_many(ctx, session, principal, rows)
    ctx.metrics.reads_checked.inc(len(batch.reads))
    for row in rows:
        ctx.metrics.matches.labels(row.grade).inc()
    ctx.metrics.alerts_made([row.grade for row in rows], made)
    return Accepted(accepted=len(batch.reads))
