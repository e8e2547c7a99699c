"""The SB 34 report (R23) and the public transparency page (R32)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, Principal, ServiceClient

from ..audits.repository import last_audit_at
from ..context import AuditContext
from ..ledger.canonical import utc_text
from ..ledger.service import record_own
from . import repository as repo
from .schemas import (
    AccuracyInputs,
    AuditCounts,
    Release,
    Sb34Report,
    Searcher,
    Transparency,
    TransparencyCounts,
)

_log = structlog.get_logger("alpr.audit.reports")


async def sb34(
    ctx: AuditContext, conn: AsyncConnection, principal: Principal, start: date, end: date
) -> Sb34Report:
    agency = principal.agency
    timeout = ctx.settings.stats_timeout_s
    misreads, corrections = await asyncio.gather(
        _owner_list(ctx.clients.hotlist, agency, "misreads_by_source", timeout),
        _owner_list(ctx.clients.search, agency, "corrections_by_source", timeout),
    )
    since = utc_text(datetime.combine(start, time.min, UTC))
    until = utc_text(datetime.combine(end + timedelta(days=1), time.min, UTC))
    report = Sb34Report(
        from_=start,
        to=end,
        agency=agency,
        searches_by_purpose=await repo.grouped(
            conn,
            agency,
            since,
            until,
            "event->>'purpose'",
            repo.action_is("search.executed"),
            repo.outcome_is("allowed"),
        ),
        searches_by_person=[
            Searcher(sub=s, name=n, badge=b, searches=c)
            for s, n, b, c in await repo.searchers(conn, agency, since, until)
        ],
        refused_attempts=await repo.grouped(
            conn,
            agency,
            since,
            until,
            "coalesce(event->>'outcome_reason', event->>'action')",
            repo.outcome_is("refused"),
        ),
        hits_by_final_state=await repo.grouped(
            conn,
            agency,
            since,
            until,
            "event->'data'->>'to'",
            repo.action_is("alert.transitioned"),
            repo.transition_to_final(),
        ),
        hits_by_disposition=await repo.grouped(
            conn,
            agency,
            since,
            until,
            repo.DISPOSITION,
            repo.action_is("alert.transitioned"),
            repo.transition_to_final(),
        ),
        releases=[
            Release(agency=a, purpose=p, count=n)
            for a, p, n in await repo.releases(conn, agency, since, until)
        ],
        purges=await repo.count(conn, agency, since, until, repo.action_is("retention.purged")),
        audits=AuditCounts(
            created=await repo.count(conn, agency, since, until, repo.action_is("audit.created")),
            findings=await repo.grouped(
                conn,
                agency,
                since,
                until,
                "event->'data'->>'finding'",
                repo.action_is("audit.finding_recorded"),
            ),
        ),
        accuracy=AccuracyInputs(misreads_by_source=misreads, corrections_by_source=corrections),
    )
    await record_own(
        ctx,
        principal,
        Action.REPORT_GENERATED,
        data={"report": "sb34", "from": start.isoformat(), "to": end.isoformat()},
    )
    return report


def sb34_csv(report: Sb34Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "purpose", "count"])
    for purpose, n in sorted(report.searches_by_purpose.items()):
        writer.writerow(["searches_by_purpose", purpose, "", n])
    for person in report.searches_by_person:
        who = f"{person.name} ({person.badge})" if person.badge else person.name
        writer.writerow(["searches_by_person", who, "", person.searches])
    for reason, n in sorted(report.refused_attempts.items()):
        writer.writerow(["refused_attempts", reason, "", n])
    for state, n in sorted(report.hits_by_final_state.items()):
        writer.writerow(["hits_by_final_state", state, "", n])
    for disposition, n in sorted(report.hits_by_disposition.items()):
        writer.writerow(["hits_by_disposition", disposition, "", n])
    for rel in report.releases:
        writer.writerow(["releases", rel.agency, rel.purpose, rel.count])
    writer.writerow(["purges", "", "", report.purges])
    writer.writerow(["audits", "created", "", report.audits.created])
    for finding, n in sorted(report.audits.findings.items()):
        writer.writerow(["audit_findings", finding, "", n])
    for row in report.accuracy.misreads_by_source or []:
        source = f"{row.get('camera_id')}/{row.get('model_version')}"
        writer.writerow(["misreads_checked", source, "", row.get("checked")])
        writer.writerow(["misreads", source, "", row.get("misreads")])
    for row in report.accuracy.corrections_by_source or []:
        writer.writerow(
            ["corrections", f"{row.get('camera_id')}/{row.get('model_version')}", "", row.get("corrections")]
        )
    return out.getvalue()


async def _owner_stats(client: ServiceClient, agency: str, timeout_s: float) -> dict[str, Any] | None:
    stats = getattr(client, "stats", None)
    if stats is None:
        return None
    try:
        async with asyncio.timeout(timeout_s):
            body: dict[str, Any] = await stats(agency)
    except Exception as exc:  # noqa: BLE001 - an owner that does not answer shows as null
        _log.info("owner_stats_unavailable", service=getattr(client, "service_name", "?"), error=repr(exc))
        return None
    return body


async def _owner_count(client: ServiceClient, agency: str, key: str, timeout_s: float) -> int | None:
    body = await _owner_stats(client, agency, timeout_s)
    value = body.get(key) if body else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _owner_list(
    client: ServiceClient, agency: str, key: str, timeout_s: float
) -> list[dict[str, Any]] | None:
    body = await _owner_stats(client, agency, timeout_s)
    value = body.get(key) if body else None
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else None


async def transparency(ctx: AuditContext, conn: AsyncConnection, agency: str) -> Transparency:
    timeout = ctx.settings.stats_timeout_s
    clients = ctx.clients
    cameras, detections, partners = await asyncio.gather(
        _owner_count(clients.ingest, agency, "cameras", timeout),
        _owner_count(clients.search, agency, "detections_in_retention", timeout),
        _owner_count(clients.sharing, agency, "sharing_partners", timeout),
    )
    return Transparency(
        agency=agency,
        policy_text=ctx.settings.policy_text,
        counts=TransparencyCounts(
            cameras=cameras,
            detections_in_retention=detections,
            hits=await repo.count(conn, agency, None, None, repo.action_is("alert.created")),
            searches=await repo.count(
                conn, agency, None, None, repo.action_is("search.executed"), repo.outcome_is("allowed")
            ),
            sharing_partners=partners,
        ),
        last_audit_at=await last_audit_at(conn, agency),
    )
