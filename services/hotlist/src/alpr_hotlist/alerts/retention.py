"""Alert and hit retention (R14, issue 17): apart from detections, by each agency's policy in
force (sharing's record, read through the service's one cached ``AgencyPolicyClient``). Closed
alerts that are not confirmed hits (misread, no longer active) go after the policy's
``alert_days``; confirmed hits after its ``hit_days`` (null: kept indefinitely, as Hayward).
``HOTLIST_ALERT_RETENTION_DAYS`` is the period of both for an agency without a policy of its own
(version 0; 0 keeps them indefinitely). Open alerts are never purged. Alerts go with their stream
events and webhook deliveries; one ledger event per agency carries the counts, the days used and
the policy version.

"Strictest" for a purge is the period that deletes the least (a purge cannot be undone; keeping
too long is put right by the next run): an agency whose policy was never read (sharing unreachable
since the process started) keeps its alerts and hits the longer of the setting's and the
strictest default policy's periods, indefinitely if either is.

A hit's plate crop (R14): while a hit is kept, search's detection purge asks ``GET /v1/hits:crops``
for the crops of the agency's kept hits where its policy says hits keep their crop, and ingest
keeps them past their detection. Once the hit is purged here its crop is no longer named, and
the next detection purge deletes it (ingest still holds the read past its cut-off)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import (
    Action,
    AgencyPolicyClient,
    AuditClient,
    HitCrops,
    Principal,
    RetentionPolicy,
    audit_event,
)

from ..vocabulary import AlertState
from . import repository
from .lifecycle import FINAL

# Closed alerts that are not hits (R14: "alerts"), and confirmed hits.
ALERT_STATES = sorted(s.value for s in FINAL - {AlertState.CONFIRMED})
HIT_STATES = [AlertState.CONFIRMED.value]


@dataclass(frozen=True)
class AlertRetention:
    """The periods one agency's alerts and hits are kept (None: indefinitely)."""

    agency: str
    alert_days: int | None
    hit_days: int | None
    policy_version: int  # 0: no policy of its own, or never read
    source: str  # `policy`, `default` (the setting) or `strictest` (the policy never read)


def _longer(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


async def retention_of(policies: AgencyPolicyClient, agency: str, default_days: int) -> AlertRetention:
    """The agency's periods: its policy's, else ``default_days`` (0: indefinitely) for both;
    never read, the longer of those and the strictest default policy's (see the module)."""
    version = await policies.version(agency)
    if version.version >= 1:
        retention = version.policy.retention
        return AlertRetention(agency, retention.alert_days, retention.hit_days, version.version, "policy")
    setting = default_days or None
    if policies.answered(agency):
        return AlertRetention(agency, setting, setting, 0, "default")
    strict = RetentionPolicy()
    return AlertRetention(
        agency, _longer(setting, strict.alert_days), _longer(setting, strict.hit_days), 0, "strictest"
    )


@dataclass
class AgencyAlertPurge:
    retention: AlertRetention
    alerts_before: datetime | None  # None: kept indefinitely
    hits_before: datetime | None
    alerts: int = 0
    hits: int = 0


@dataclass
class AlertPurge:
    dry_run: bool
    by_agency: dict[str, AgencyAlertPurge] = field(default_factory=dict)

    @property
    def alerts(self) -> int:
        return sum(p.alerts for p in self.by_agency.values())

    @property
    def hits(self) -> int:
        return sum(p.hits for p in self.by_agency.values())


async def purge_alerts(
    conn: AsyncConnection,
    audit: AuditClient,
    policies: AgencyPolicyClient,
    actor: Principal,
    default_days: int,
    now: datetime,
    *,
    dry_run: bool = False,
) -> AlertPurge:
    """Purges each agency's closed alerts and confirmed hits past its own periods (R14, issue 17);
    ``default_days`` (the setting; 0 = indefinitely) where the agency has no policy."""
    report = AlertPurge(dry_run=dry_run)
    for agency in await repository.agencies_with(conn, [*ALERT_STATES, *HIT_STATES]):
        rule = await retention_of(policies, agency, default_days)
        one = AgencyAlertPurge(
            retention=rule,
            alerts_before=None if rule.alert_days is None else now - timedelta(days=rule.alert_days),
            hits_before=None if rule.hit_days is None else now - timedelta(days=rule.hit_days),
        )
        if one.alerts_before is not None:
            one.alerts = await repository.count_agency_closed_before(
                conn, agency, one.alerts_before, ALERT_STATES
            )
        if one.hits_before is not None:
            one.hits = await repository.count_agency_closed_before(conn, agency, one.hits_before, HIT_STATES)
        report.by_agency[agency] = one
    if dry_run:
        return report
    for agency, one in sorted(report.by_agency.items()):
        if not one.alerts and not one.hits:
            continue
        if one.alerts and one.alerts_before is not None:
            await repository.delete_agency_closed_before(conn, agency, one.alerts_before, ALERT_STATES)
        if one.hits and one.hits_before is not None:
            await repository.delete_agency_closed_before(conn, agency, one.hits_before, HIT_STATES)
        await audit.record(
            audit_event(
                actor,
                Action.RETENTION_PURGED,
                source="hotlist",
                agency=agency,
                data={
                    "kind": "alerts",
                    "alerts": one.alerts,
                    "hits": one.hits,
                    "alerts_created_before": None
                    if one.alerts_before is None
                    else one.alerts_before.isoformat(),
                    "hits_created_before": None if one.hits_before is None else one.hits_before.isoformat(),
                    "alert_days": one.retention.alert_days,
                    "hit_days": one.retention.hit_days,
                    "retention_source": one.retention.source,
                    "policy_version": one.retention.policy_version,
                },
            )
        )
    return report


async def kept_hit_crops(session: AsyncSession, agency: str) -> HitCrops:
    """The crop keys of the agency's confirmed hits still kept (``GET /v1/hits:crops``)."""
    keys = await repository.hit_crop_keys(session, agency, AlertState.CONFIRMED.value)
    return HitCrops(agency=agency, keys=keys)
