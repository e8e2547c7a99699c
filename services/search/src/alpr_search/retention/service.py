"""Retention (R16): detections past the agency's retention are purged from every store, by
capture time (late uploads included, R18). Whole expired day partitions are dropped; the day
the cut-off falls in loses its expired rows; ingest deletes the frames, crops and reads first,
so a failure leaves rows to retry and never images nobody can find. Ingest is asked for every
agency's oldest frame as well: an agency whose expired frames never produced a read has no
expired detection, and its frames are purged all the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from pydantic import AwareDatetime, BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, Principal, PurgeResult, ServiceClients, audit_event

from ..agency import service as agency_settings
from ..holds import service as holds
from . import repository


class _AgencyOldestFrame(BaseModel):
    agency: str
    oldest_captured_at: AwareDatetime


class _OldestFrames(BaseModel):
    """Ingest's ``GET /v1/frames:oldest``: each agency with frames and its oldest capture time."""

    items: list[_AgencyOldestFrame]


async def _oldest_frames(clients: ServiceClients) -> dict[str, datetime]:
    # Through the ingest client's own transport (service token, trace context); a typed method
    # on ``IngestClient`` in libs/common is where this call belongs once that library takes it.
    oldest = await clients.ingest.get_model("/v1/frames:oldest", _OldestFrames)
    return {item.agency: item.oldest_captured_at for item in oldest.items}


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
    own = await agency_settings.retention_by_agency(conn)
    cutoff = stamp - timedelta(days=retention_days)
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    report.detections_by_agency = await repository.expired_by_agency(conn, stamp, retention_days)
    for agency in report.detections_by_agency:
        days = own.get(agency, retention_days)
        report.days_by_agency[agency] = days
        report.cutoff_by_agency[agency] = stamp - timedelta(days=days)
    if not dry_run:
        # R16: frames that never produced a read expire by the same period, so an agency with
        # such frames past its cut-off is purged even when no detection of it has expired.
        for agency, oldest in (await _oldest_frames(clients)).items():
            days = own.get(agency, retention_days)
            if agency not in report.cutoff_by_agency and oldest < stamp - timedelta(days=days):
                report.days_by_agency[agency] = days
                report.cutoff_by_agency[agency] = stamp - timedelta(days=days)
    oldest_kept = stamp - timedelta(days=max([retention_days, *own.values()]))
    whole = {
        name: day
        for name, day in (await repository.partitions(conn)).items()
        if datetime.combine(day + timedelta(days=1), time.min, UTC) <= oldest_kept
    }
    report.partitions = sorted(whole)
    if dry_run or not report.cutoff_by_agency and not whole:
        return report
    for agency in sorted(report.cutoff_by_agency):
        # R17: objects of detections under an active legal hold stay.
        keep = await holds.held_keys(conn, agency)
        report.images_by_agency[agency] = await clients.ingest.purge_frames(
            agency, report.cutoff_by_agency[agency], keep_keys=keep
        )
    for name in report.partitions:
        await repository.drop_partition(conn, name)
    for agency, agency_cutoff in sorted(report.cutoff_by_agency.items()):
        await repository.delete_expired(conn, agency, agency_cutoff)
    for agency in sorted(report.cutoff_by_agency):
        removed = report.detections_by_agency.get(agency, 0)
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
