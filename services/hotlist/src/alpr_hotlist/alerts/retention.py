"""Alert retention (R14): apart from detections, by the hotlist service's own setting. Only
closed alerts go (an open one still needs an officer), with their stream events and webhook
deliveries; the counts go on the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, AuditClient, Principal, audit_event

from . import repository
from .lifecycle import FINAL


@dataclass
class AlertPurge:
    cutoff: datetime | None
    dry_run: bool
    by_agency: dict[str, int] = field(default_factory=dict)


async def purge_alerts(
    conn: AsyncConnection,
    audit: AuditClient,
    actor: Principal,
    days: int,
    now: datetime,
    *,
    dry_run: bool = False,
) -> AlertPurge:
    if days <= 0:
        return AlertPurge(cutoff=None, dry_run=dry_run)  # kept indefinitely
    cutoff = now - timedelta(days=days)
    closed = [s.value for s in FINAL]
    by_agency = await repository.closed_before(conn, cutoff, closed)
    report = AlertPurge(cutoff=cutoff, dry_run=dry_run, by_agency=by_agency)
    if dry_run or not report.by_agency:
        return report
    await repository.delete_closed_before(conn, cutoff, closed)
    for agency, n in sorted(report.by_agency.items()):
        await audit.record(
            audit_event(
                actor,
                Action.RETENTION_PURGED,
                source="hotlist",
                agency=agency,
                data={
                    "kind": "alerts",
                    "alerts": n,
                    "created_before": cutoff.isoformat(),
                    "retention_days": days,
                },
            )
        )
    return report
