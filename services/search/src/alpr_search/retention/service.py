"""Retention (R16): detections past the agency's retention are purged from every store, by
capture time (late uploads included, R18). Whole expired day partitions are dropped; the day
the cut-off falls in loses its expired rows; ingest deletes the frames, crops and reads first,
so a failure leaves rows to retry and never images nobody can find."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, Principal, ServiceClients, audit_event

from ..holds.service import held_keys

PARTITION_PREFIX = "detections_"


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    partitions: list[str] = field(default_factory=list)
    detections_by_agency: dict[str, int] = field(default_factory=dict)
    images_by_agency: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def detections(self) -> int:
        return sum(self.detections_by_agency.values())


async def _partitions(conn: AsyncConnection) -> dict[str, date]:
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE n.nspname = 'search' AND p.relname = 'detections'"
        )
    )
    out = {}
    for (name,) in rows:
        if name.startswith(PARTITION_PREFIX):
            out[name] = datetime.strptime(name[len(PARTITION_PREFIX) :], "%Y%m%d").date()
    return out


async def purge(
    conn: AsyncConnection,
    clients: ServiceClients,
    actor: Principal,
    retention_days: int,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    counts = await conn.execute(
        text("SELECT agency, count(*) FROM search.detections WHERE captured_at < :cutoff GROUP BY agency"),
        {"cutoff": cutoff},
    )
    report.detections_by_agency = {agency: int(n) for agency, n in counts}
    whole = {
        name: day
        for name, day in (await _partitions(conn)).items()
        if datetime.combine(day + timedelta(days=1), time.min, UTC) <= cutoff
    }
    report.partitions = sorted(whole)
    if dry_run or not report.detections_by_agency and not whole:
        return report
    for agency in sorted(report.detections_by_agency):
        # R17: objects of detections under an active legal hold stay.
        keep = await held_keys(conn, agency)
        report.images_by_agency[agency] = await clients.ingest.purge_frames(agency, cutoff, keep_keys=keep)
    for name in report.partitions:
        await conn.execute(text(f"DROP TABLE search.{name}"))
    await conn.execute(text("DELETE FROM search.detections WHERE captured_at < :cutoff"), {"cutoff": cutoff})
    for agency, removed in sorted(report.detections_by_agency.items()):
        await clients.audit.record(
            audit_event(
                actor,
                Action.RETENTION_PURGED,
                source="search",
                agency=agency,
                data={
                    "captured_before": cutoff.isoformat(),
                    "detections": removed,
                    "retention_days": retention_days,
                    "images": report.images_by_agency.get(agency, {}),
                    "partitions_dropped": len(report.partitions),
                },
            )
        )
    return report
