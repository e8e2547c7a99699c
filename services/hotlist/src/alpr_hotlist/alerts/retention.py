"""Alert retention (R14): apart from detections, by the hotlist service's own setting. Only
closed alerts go (an open one still needs an officer), with their stream events and webhook
deliveries; the counts go on the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, AuditClient, Principal, audit_event

from ..tables import alerts, deliveries
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
    expired = (alerts.c.created_at < cutoff) & alerts.c.state.in_([s.value for s in FINAL])
    rows = await conn.execute(select(alerts.c.agency, func.count()).where(expired).group_by(alerts.c.agency))
    report = AlertPurge(cutoff=cutoff, dry_run=dry_run, by_agency={a: int(n) for a, n in rows.all()})
    if dry_run or not report.by_agency:
        return report
    await conn.execute(
        delete(deliveries).where(deliveries.c.alert_id.in_(select(alerts.c.id).where(expired)))
    )
    await conn.execute(delete(alerts).where(expired))  # stream events go with them (cascade)
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
