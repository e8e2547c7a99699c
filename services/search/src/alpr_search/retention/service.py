"""Retention (R16): detections past the agency's retention are purged from every store, by
capture time (late uploads included, R18). Whole expired day partitions are dropped; the day
the cut-off falls in loses its expired rows; ingest deletes the frames, crops and reads first,
so a failure leaves rows to retry and never images nobody can find."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, Principal, PurgeResult, ServiceClients, audit_event

from ..agency.settings import retention_by_agency
from ..holds.service import held_keys

PARTITION_PREFIX = "detections_"


@dataclass
class PurgeReport:
    cutoff: datetime  # the default cut-off (agencies without a setting of their own)
    dry_run: bool
    partitions: list[str] = field(default_factory=list)
    detections_by_agency: dict[str, int] = field(default_factory=dict)
    images_by_agency: dict[str, PurgeResult] = field(default_factory=dict)
    cutoff_by_agency: dict[str, datetime] = field(default_factory=dict)
    days_by_agency: dict[str, int] = field(default_factory=dict)

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
    """Purges each agency's detections older than its own retention period (R16), or
    ``retention_days`` where it has set none. A whole day partition is dropped only once it is
    past the longest period in force; other expired rows are deleted agency by agency."""
    stamp = now or datetime.now(UTC)
    own = await retention_by_agency(conn)
    cutoff = stamp - timedelta(days=retention_days)
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    counts = await conn.execute(
        text(
            "SELECT d.agency, count(*) FROM search.detections d "
            "LEFT JOIN search.agency_settings s ON s.agency = d.agency "
            "WHERE d.captured_at < CAST(:now AS timestamptz) "
            "- make_interval(days => coalesce(s.retention_days, :default_days)) "
            "GROUP BY d.agency"
        ),
        {"now": stamp, "default_days": retention_days},
    )
    report.detections_by_agency = {agency: int(n) for agency, n in counts}
    for agency in report.detections_by_agency:
        days = own.get(agency, retention_days)
        report.days_by_agency[agency] = days
        report.cutoff_by_agency[agency] = stamp - timedelta(days=days)
    oldest_kept = stamp - timedelta(days=max([retention_days, *own.values()]))
    whole = {
        name: day
        for name, day in (await _partitions(conn)).items()
        if datetime.combine(day + timedelta(days=1), time.min, UTC) <= oldest_kept
    }
    report.partitions = sorted(whole)
    if dry_run or not report.detections_by_agency and not whole:
        return report
    for agency in sorted(report.detections_by_agency):
        # R17: objects of detections under an active legal hold stay.
        keep = await held_keys(conn, agency)
        report.images_by_agency[agency] = await clients.ingest.purge_frames(
            agency, report.cutoff_by_agency[agency], keep_keys=keep
        )
    for name in report.partitions:
        await conn.execute(text(f"DROP TABLE search.{name}"))
    for agency, agency_cutoff in sorted(report.cutoff_by_agency.items()):
        await conn.execute(
            text("DELETE FROM search.detections WHERE agency = :agency AND captured_at < :cutoff"),
            {"agency": agency, "cutoff": agency_cutoff},
        )
    for agency, removed in sorted(report.detections_by_agency.items()):
        await clients.audit.record(
            audit_event(
                actor,
                Action.RETENTION_PURGED,
                source="search",
                agency=agency,
                data={
                    "captured_before": report.cutoff_by_agency[agency].isoformat(),
                    "detections": removed,
                    "retention_days": report.days_by_agency[agency],
                    "images": report.images_by_agency[agency].model_dump()
                    if agency in report.images_by_agency
                    else {},
                    "partitions_dropped": len(report.partitions),
                },
            )
        )
    return report
