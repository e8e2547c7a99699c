"""The SB 34 report (R23) and the public transparency page (R32)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import Action, Principal

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
StatsT = TypeVar("StatsT")


async def sb34(
    ctx: AuditContext, conn: AsyncConnection, principal: Principal, start: date, end: date
) -> Sb34Report:
    agency = principal.agency
    timeout = ctx.settings.stats_timeout_s
    hotlisted, searched = await asyncio.gather(
        _owner_stats("hotlist", ctx.clients.hotlist.stats(agency), timeout),
        _owner_stats("search", ctx.clients.search.stats(agency), timeout),
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
            Searcher.model_validate(r, from_attributes=True)
            for r in await repo.searchers(conn, agency, since, until)
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
            Release.model_validate(r, from_attributes=True)
            for r in await repo.releases(conn, agency, since, until)
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
        accuracy=AccuracyInputs(
            misreads_by_source=hotlisted.misreads_by_source if hotlisted else None,
            corrections_by_source=searched.corrections_by_source if searched else None,
        ),
    )
    await record_own(
        ctx,
        principal,
        Action.REPORT_GENERATED,
        data={"report": "sb34", "from": start.isoformat(), "to": end.isoformat()},
    )
    return report


# A cell a spreadsheet would take for a formula (OWASP "CSV injection"): =, +, -, @, tab, CR.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Text that would start a formula is prefixed with an apostrophe, which spreadsheets show as
    text; numbers stay numbers. A person's name comes from the agency's identity provider: it
    must not run in an administrator's sheet. Every text cell goes through here."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: list[object]) -> None:
        self._writer.writerow([_cell(value) for value in row])


def sb34_csv(report: Sb34Report) -> str:
    out = io.StringIO()
    writer = _SafeWriter(out)
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
    for misread in report.accuracy.misreads_by_source or []:
        source = f"{misread.camera_id}/{misread.model_version}"
        writer.writerow(["misreads_checked", source, "", misread.checked])
        writer.writerow(["misreads", source, "", misread.misreads])
    for corrected in report.accuracy.corrections_by_source or []:
        source = f"{corrected.camera_id}/{corrected.model_version}"
        writer.writerow(["corrections", source, "", corrected.corrections])
    return out.getvalue()


async def _owner_stats(service: str, call: Awaitable[StatsT], timeout_s: float) -> StatsT | None:
    """An owner's ``GET /v1/stats`` answer (its typed wire model, issue 22), or ``None`` where it
    did not answer in time or answered something else: the report shows that as null (R23)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await call
    except Exception as exc:  # noqa: BLE001 - an owner that does not answer shows as null
        _log.info("owner_stats_unavailable", service=service, error=repr(exc))
        return None


async def transparency(ctx: AuditContext, conn: AsyncConnection, agency: str) -> Transparency:
    timeout = ctx.settings.stats_timeout_s
    clients = ctx.clients
    ingested, searched, shared = await asyncio.gather(
        _owner_stats("ingest", clients.ingest.stats(agency), timeout),
        _owner_stats("search", clients.search.stats(agency), timeout),
        _owner_stats("sharing", clients.sharing.stats(agency), timeout),
    )
    return Transparency(
        agency=agency,
        policy_text=ctx.settings.policy_text,
        counts=TransparencyCounts(
            cameras=ingested.cameras if ingested else None,
            detections_in_retention=searched.detections_in_retention if searched else None,
            hits=await repo.count(conn, agency, None, None, repo.action_is("alert.created")),
            searches=await repo.count(
                conn, agency, None, None, repo.action_is("search.executed"), repo.outcome_is("allowed")
            ),
            sharing_partners=shared.sharing_partners if shared else None,
        ),
        last_audit_at=await last_audit_at(conn, agency),
    )
