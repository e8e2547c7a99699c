"""Retention (R16): detections past the agency's retention are purged from every store, by
capture time (late uploads included, R18). Whole expired day partitions are dropped; the day
the cut-off falls in loses its expired rows; ingest deletes the frames, crops and reads first,
so a failure leaves rows to retry and never images nobody can find. Ingest is asked for every
agency's oldest frame as well: an agency whose expired frames never produced a read has no
expired detection, and its frames are purged all the same.

Issue 17: each agency's period is its policy's (``rules.rule_of``: the policy wins over search's
own setting once one exists; never read, never shorter than the strictest default). Retention
reaches everything: a released hold's snapshots expire with the detections they copy, its
objects are no longer kept, and its evidence packages are deleted from the object store by the
first purge after its release at which one of its detections is past the agency's period (a
package is one file: it cannot keep its unexpired part), never while the hold is active. A
confirmed hit whose agency keeps hits' crops (R14) keeps its plate crop: hotlist names the crops
of the hits it still keeps, and ingest keeps those reads and crops (not their frames); once
hotlist purges the hit, its crop is no longer named and the next purge deletes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import anyio
from minio import Minio
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import (
    Action,
    AgencyPolicyClient,
    Principal,
    PurgeResult,
    ServiceCallError,
    ServiceClients,
    Unavailable,
    audit_event,
)

from ..agency import service as agency_settings
from ..holds import repository as hold_store
from ..holds import service as holds
from ..holds.schemas import EVIDENCE_PREFIX
from . import repository
from .rules import RetentionRule, rule_of


class _AgencyOldestFrame(BaseModel):
    agency: str
    oldest_captured_at: AwareDatetime


class _OldestFrames(BaseModel):
    """Ingest's ``GET /v1/frames:oldest``: each agency with frames or reads and its oldest
    capture time."""

    items: list[_AgencyOldestFrame]


async def _oldest_frames(clients: ServiceClients) -> dict[str, datetime]:
    # Through the ingest client's own transport (service token, trace context); a typed method
    # on ``IngestClient`` in libs/common is where this call belongs once that library takes it.
    oldest = await clients.ingest.get_model("/v1/frames:oldest", _OldestFrames)
    return {item.agency: item.oldest_captured_at for item in oldest.items}


@dataclass(frozen=True)
class EvidenceBucket:
    """Where the evidence packages lie (search's own bucket)."""

    store: Minio
    bucket: str

    async def packages(self) -> dict[str, dict[uuid.UUID, list[str]]]:
        """Every evidence package, by agency and hold (keys as ``holds.schemas.evidence_key``)."""

        def listing() -> list[str]:
            objects = self.store.list_objects(self.bucket, prefix=EVIDENCE_PREFIX, recursive=True)
            return [str(o.object_name) for o in objects if o.object_name]

        out: dict[str, dict[uuid.UUID, list[str]]] = {}
        for key in await anyio.to_thread.run_sync(listing):
            parts = key[len(EVIDENCE_PREFIX) :].split("/")
            if len(parts) != 3:
                continue
            try:
                hold_id = uuid.UUID(parts[1])
            except ValueError:
                continue
            out.setdefault(parts[0], {}).setdefault(hold_id, []).append(key)
        return out

    async def delete(self, keys: list[str]) -> None:
        for key in keys:
            await anyio.to_thread.run_sync(self.store.remove_object, self.bucket, key)


@dataclass
class PurgeReport:
    cutoff: datetime  # the default cut-off (agencies without a setting of their own)
    dry_run: bool
    partitions: list[str] = field(default_factory=list)
    detections_by_agency: dict[str, int] = field(default_factory=dict)
    images_by_agency: dict[str, PurgeResult] = field(default_factory=dict)
    cutoff_by_agency: dict[str, datetime] = field(default_factory=dict)
    days_by_agency: dict[str, int] = field(default_factory=dict)
    rules: dict[str, RetentionRule] = field(default_factory=dict)  # every agency looked at
    snapshots_by_agency: dict[str, int] = field(default_factory=dict)  # of released holds
    packages_by_agency: dict[str, list[str]] = field(default_factory=dict)  # evidence keys
    hit_crops_by_agency: dict[str, int] = field(default_factory=dict)  # crops kept for hits
    skipped: dict[str, str] = field(default_factory=dict)  # agency: why its objects stayed

    @property
    def detections(self) -> int:
        return sum(self.detections_by_agency.values())


async def _hit_crops(clients: ServiceClients, rule: RetentionRule) -> list[str] | None:
    """R14: the crops of the agency's kept hits, where it keeps them (None: hotlist could not say,
    so nothing of the agency's is deleted this time)."""
    if not rule.hits_keep_crop:
        return []
    try:
        return await clients.hotlist.hit_crops(rule.agency)
    except (Unavailable, ServiceCallError):
        return None


async def purge(
    conn: AsyncConnection,
    clients: ServiceClients,
    actor: Principal,
    retention_days: int,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    policies: AgencyPolicyClient | None = None,
    evidence: EvidenceBucket | None = None,
) -> PurgeReport:
    """Purges each agency's detections older than its own retention period (R16, issue 17: its
    policy's, else its own setting or ``retention_days``), with released holds' snapshots and
    evidence packages (``evidence``; left alone where None). A whole day partition is dropped only
    once it is past the longest period in force; other expired rows are deleted agency by agency.
    ``policies`` defaults to one over ``clients.sharing``."""
    stamp = now or datetime.now(UTC)
    policies = policies or AgencyPolicyClient(clients.sharing)
    own = await agency_settings.retention_by_agency(conn)
    report = PurgeReport(cutoff=stamp - timedelta(days=retention_days), dry_run=dry_run)
    detections_oldest = await repository.oldest_by_agency(conn)
    released_oldest = await hold_store.released_oldest_by_agency(conn)
    packages = await evidence.packages() if evidence is not None else {}
    # R16: frames that never produced a read expire by the same period, so an agency with such
    # frames past its cut-off is purged even when no detection of it has expired.
    frames_oldest = {} if dry_run else await _oldest_frames(clients)
    agencies = sorted(set(detections_oldest) | set(released_oldest) | set(packages) | set(frames_oldest))
    for agency in agencies:
        rule = await rule_of(policies, agency, own, retention_days)
        report.rules[agency] = rule
        cutoff = stamp - timedelta(days=rule.days)
        expired = [
            at
            for at in (detections_oldest.get(agency), released_oldest.get(agency), frames_oldest.get(agency))
            if at is not None and at < cutoff
        ]
        gone_packages: list[str] = []
        if agency in packages:
            held = await hold_store.expired_packages(conn, agency, sorted(packages[agency]), cutoff)
            gone_packages = sorted(k for hold_id in held for k in packages[agency][hold_id])
        if not expired and not gone_packages:
            continue
        report.cutoff_by_agency[agency] = cutoff
        report.days_by_agency[agency] = rule.days
        n = await repository.count_expired(conn, agency, cutoff)
        if n:
            report.detections_by_agency[agency] = n
        snapshots = await hold_store.count_released_expired(conn, agency, cutoff)
        if snapshots:
            report.snapshots_by_agency[agency] = snapshots
        if gone_packages:
            report.packages_by_agency[agency] = gone_packages
    longest = max([retention_days, *(report.rules[a].days for a in detections_oldest)])
    oldest_kept = stamp - timedelta(days=longest)
    whole = {
        name: day
        for name, day in (await repository.partitions(conn)).items()
        if datetime.combine(day + timedelta(days=1), time.min, UTC) <= oldest_kept
    }
    report.partitions = sorted(whole)
    if dry_run or not report.cutoff_by_agency and not whole:
        return report
    for agency in sorted(report.cutoff_by_agency):
        crops = await _hit_crops(clients, report.rules[agency])
        if crops is None:
            report.skipped[agency] = "hotlist could not name the crops its hits keep (R14)"
            continue
        report.hit_crops_by_agency[agency] = len(crops)
        # R17: objects of detections under an active legal hold stay; a released hold's go.
        keep = await holds.held_keys(conn, agency)
        report.images_by_agency[agency] = await clients.ingest.purge_frames(
            agency, report.cutoff_by_agency[agency], keep_keys=keep, keep_crops=crops
        )
        if evidence is not None and agency in report.packages_by_agency:
            await evidence.delete(report.packages_by_agency[agency])
    for name in report.partitions:
        await repository.drop_partition(conn, name)
    for agency, agency_cutoff in sorted(report.cutoff_by_agency.items()):
        if agency not in report.skipped:
            await repository.delete_expired(conn, agency, agency_cutoff)
            await hold_store.delete_released_expired(conn, agency, agency_cutoff)
    for agency in sorted(report.cutoff_by_agency):
        rule = report.rules[agency]
        skipped = agency in report.skipped
        await clients.audit.record(
            audit_event(
                actor,
                Action.RETENTION_PURGED,
                source="search",
                agency=agency,
                data={
                    "captured_before": report.cutoff_by_agency[agency].isoformat(),
                    "detections": 0 if skipped else report.detections_by_agency.get(agency, 0),
                    "retention_days": rule.days,
                    "retention_source": rule.source.value,
                    "policy_version": rule.policy_version,
                    "floor_days": rule.floor_days,
                    "ceiling_days": rule.ceiling_days,
                    "images": report.images_by_agency[agency].model_dump()
                    if agency in report.images_by_agency
                    else {},
                    "partitions_dropped": len(report.partitions),
                    "hold_snapshots": 0 if skipped else report.snapshots_by_agency.get(agency, 0),
                    "evidence_packages": 0 if skipped else len(report.packages_by_agency.get(agency, [])),
                    "hit_crops_kept": report.hit_crops_by_agency.get(agency, 0),
                    "skipped": report.skipped.get(agency),
                },
            )
        )
    return report
