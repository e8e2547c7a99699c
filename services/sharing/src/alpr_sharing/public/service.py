"""Gathers what the public pages show: the agencies that published a policy, and one agency's
policy in force (or, before any is, the one published for comment) with aggregate figures.

Sharing's own figures come from its database; the others from their owners' ``/v1/stats``
through the service clients, and audit's (searches per month by purpose, the last complete
sample audit: ``/v1/public-figures``, issue 17) through its typed client, each bounded in time:
one that fails or is late is shown as not available, never a failed page. Only counts are taken
from those answers, by name (never a camera or a place, which some of them also carry). The
figures are kept a minute (``FiguresCache``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import AuditFigures, NotFound, PolicyStatus, ServiceCallError, Unavailable

from ..clock import now
from ..context import SharingContext
from ..policy import repository as policy_repository
from ..policy import service as policy
from ..policy.repository import PolicyRow
from ..vocabulary import RequestStatus
from . import repository
from .pages import AgencyPage, Chart, DateFigure, Figure, Figures, ListedAgency, Row

# A public page waits this long at most for another service's counts.
REMOTE_TIMEOUT_S = 3.0
# Searches per month are shown for this many calendar months, the current one last (issue 17).
SEARCH_MONTHS = 12

T = TypeVar("T")

log = structlog.get_logger("alpr.sharing.public")


def _by_agency(rows: list[PolicyRow]) -> dict[str, list[PolicyRow]]:
    out: dict[str, list[PolicyRow]] = {}
    for row in rows:
        out.setdefault(row.agency, []).append(row)
    return out


async def agencies(session: AsyncSession) -> list[ListedAgency]:
    """Every agency with an approved policy version (in force, or published for comment)."""
    stamp = now()
    grouped = _by_agency(await repository.approved_versions(session))
    named = await repository.names(session, list(grouped))
    out: list[ListedAgency] = []
    for ori, approved in grouped.items():
        current = policy.in_force_at(approved, stamp)
        first = current or min(approved, key=lambda r: (r.in_force_from or stamp, r.version))
        assert first.in_force_from is not None  # approved versions always have one
        out.append(
            ListedAgency(
                ori=ori,
                name=named.get(ori, ori),
                version=first.version,
                since=first.in_force_from,
                in_force=current is not None,
            )
        )
    return sorted(out, key=lambda a: (a.name.casefold(), a.ori))


async def _remote(service: str, call: Awaitable[T]) -> T | None:
    try:
        return await asyncio.wait_for(call, REMOTE_TIMEOUT_S)
    except (Unavailable, ServiceCallError, httpx.HTTPError, TimeoutError, ValueError) as exc:
        log.warning("public_figures_unavailable", service=service, error=str(exc) or type(exc).__name__)
        return None


def _count(value: int | None) -> int | None:
    """A count an owner gave (``None``: it did not answer); a negative one is shown as not available."""
    return value if value is not None and value >= 0 else None


def _counts(value: dict[str, int] | None) -> list[Row] | None:
    """An owner's counts by key as chart rows (``None``: it did not answer)."""
    if value is None:
        return None
    return [
        Row(label=str(k).replace("_", " ").capitalize(), values=(v,))
        for k, v in sorted(value.items())
        if v >= 0
    ]


async def _sharing_charts(session: AsyncSession, ori: str) -> list[Chart]:
    by_status = dict(await repository.requests_by_status(session, ori))
    statuses = [Row(label=s.value.capitalize(), values=(by_status.get(s.value, 0),)) for s in RequestStatus]
    partners = [
        Row(label=f"{name} ({o})" if name and name != o else o, values=(n, d))
        for o, name, n, d in await repository.releases_by_partner(session, ori)
    ]
    return [
        Chart(
            key="requests",
            title="Requests from other agencies, by status",
            headers=("Status", "Requests"),
            rows=statuses if any(r.values[0] for r in statuses) else [],
            empty="No agency has asked for this agency's data yet.",
        ),
        Chart(
            key="releases",
            title="Data released, by partner agency",
            headers=("Partner agency", "Requests released", "Detections released"),
            rows=partners,
            empty="No data has been released to another agency yet.",
        ),
    ]


async def agency_page(ctx: SharingContext, session: AsyncSession, ori: str) -> AgencyPage:
    """The agency's published policy and figures; an agency with no approved version (none set,
    or only ones pending or rejected) is not found."""
    stamp = now()
    approved = await policy_repository.approved(session, ori)
    scheduled = [r for r in approved if policy.status_of(r, approved, stamp) is PolicyStatus.SCHEDULED]
    current = policy.in_force_at(approved, stamp)
    upcoming = min(scheduled, key=lambda r: (r.in_force_from or stamp, r.version), default=None)
    shown = current or upcoming
    if shown is None:
        raise NotFound()
    name = (await repository.names(session, [ori])).get(ori, ori)
    return AgencyPage(
        ori=ori,
        name=name,
        shown=policy.public(shown, approved, stamp),
        in_force=current is not None,
        upcoming=policy.public(upcoming, approved, stamp) if current and upcoming else None,
        figures=await _figures(ctx, session, ori),
    )


def _purpose_label(purpose: str) -> str:
    return purpose.replace("_", " ").capitalize()


def _month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def searches_chart(audited: AuditFigures | None) -> Chart:
    """Issue 17: allowed searches per month (each of the last ``SEARCH_MONTHS``, oldest first)
    by purpose, as a stacked chart: the month's total, then one value per purpose searched for
    in those months (most searched first). ``None`` (audit did not answer): not available."""
    title = f"Searches per month by purpose, last {SEARCH_MONTHS} months"
    empty = f"No search in the last {SEARCH_MONTHS} months."
    if audited is None:
        return Chart(key="searches", title=title, headers=("Month", "Searches"), rows=None, stacked=True)
    counts: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    for r in audited.searches_by_month:
        counts[(r.month, r.purpose)] = counts.get((r.month, r.purpose), 0) + r.searches
        totals[r.purpose] = totals.get(r.purpose, 0) + r.searches
    purposes = sorted((p for p, n in totals.items() if n), key=lambda p: (-totals[p], p))
    rows = [
        Row(
            label=_month_label(month),
            values=(
                sum(counts.get((month, p), 0) for p in purposes),
                *(counts.get((month, p), 0) for p in purposes),
            ),
        )
        for month in audited.months
    ]
    return Chart(
        key="searches",
        title=title,
        headers=("Month", "Searches", *(_purpose_label(p) for p in purposes)),
        rows=rows if purposes else [],
        empty=empty,
        stacked=True,
    )


async def _figures(ctx: SharingContext, session: AsyncSession, ori: str) -> Figures:
    """Sharing's own counts and the other services' (cached a while, ``FiguresCache``)."""
    known = ctx.public_figures.get(ori)
    if known is not None:
        return known
    stamp = now()
    charts = await _sharing_charts(session, ori)
    searched, hotlisted, audited = await asyncio.gather(
        _remote("search", ctx.clients.search.stats(ori)),
        _remote("hotlist", ctx.clients.hotlist.stats(ori)),
        _remote("audit", ctx.clients.audit.public_figures(ori, SEARCH_MONTHS)),
    )
    charts.insert(0, searches_chart(audited))
    charts.append(
        Chart(
            key="hits",
            title="Hotlist alerts, by final state",
            headers=("State", "Alerts"),
            rows=_counts(hotlisted.hits_by_state if hotlisted else None),
            empty="No alert yet.",
        )
    )
    figures = Figures(
        counted_at=stamp,
        charts=charts,
        figures=[
            Figure("Detections in retention", _count(searched.detections_in_retention if searched else None)),
            DateFigure(
                "Last sample audit completed",
                audited.last_audit_completed_at if audited else None,
                available=audited is not None,
                empty="No audit yet.",
            ),
        ],
    )
    ctx.public_figures.put(ori, figures)
    return figures
