"""Audits on schedule (issue 17, item 4; R21, R35): the period in which an agency's next sample
audit is due, from its policy's cadence, and the run (``alpr audit schedule``, a daily CronJob)
that creates each agency's audit once per period.

Periods are calendar periods in UTC: quarters (Jan, Apr, Jul, Oct), half-years (Jan, Jul) and
years. "Every 6 months for two years, then annually" (Alameda 462.3(b)5) counts its two years
from the half-year of the agency's first audit, then runs years from there. The audit of a
period is created at the first run inside it, draws the preceding ``AUDIT_SAMPLE_MONTHS``, and
is due by the period's end (when the next one is created)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alpr_common import AgencyPolicy, AuditCadence

from . import repository
from .service import draw_and_insert, sample_window

_MONTHS = {AuditCadence.QUARTERLY: 3, AuditCadence.SEMI_ANNUAL: 6, AuditCadence.ANNUAL: 12}
# Alameda: half-yearly for this many months from the first audit, then yearly.
_SEMI_ANNUAL_FOR_MONTHS = 24


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # the period's audit is due by then


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def _calendar(now: datetime, months: int) -> Period:
    start = datetime(now.year, (now.month - 1) // months * months + 1, 1, tzinfo=UTC)
    return Period(start, _add_months(start, months))


def period_for(cadence: AuditCadence, now: datetime, first_audit: datetime | None = None) -> Period:
    """The period containing ``now`` under ``cadence``; ``first_audit`` (the agency's earliest
    audit, ``now`` when none) starts the two half-yearly years of Alameda's cadence."""
    now = now.astimezone(UTC)
    if cadence in _MONTHS:
        return _calendar(now, _MONTHS[cadence])
    # SEMI_ANNUAL_TWO_YEARS_THEN_ANNUAL
    switch = _add_months(_calendar((first_audit or now).astimezone(UTC), 6).start, _SEMI_ANNUAL_FOR_MONTHS)
    if now < switch:
        return _calendar(now, 6)
    years = ((now.year - switch.year) * 12 + now.month - switch.month) // 12
    start = _add_months(switch, 12 * years)
    return Period(start, _add_months(start, 12))


@dataclass(frozen=True)
class Scheduled:
    audit_id: uuid.UUID
    agency: str
    period: Period
    cadence: AuditCadence
    size: int
    drawn: int
    available: int


async def schedule_agency(
    conn: AsyncConnection,
    agency: str,
    policy: AgencyPolicy,
    now: datetime,
    sample_months: int,
    created_by: dict[str, object],
) -> Scheduled | None:
    """Creates the agency's audit of the current period unless one exists (None then). Run it
    in a transaction: schedulers of one agency wait for each other, and the unique index on
    (agency, period_start) stops a second one of the same period whatever happens."""
    await repository.lock_agency_schedule(conn, agency)
    cadence = policy.audits.cadence
    first = await repository.first_audit_at(conn, agency)
    period = period_for(cadence, now, first)
    # A scheduled audit for this period (or a later one, made under an earlier cadence) is there.
    if await repository.scheduled_since(conn, agency, period.start):
        return None
    # An agency never audited whose people never browsed here (a partner that only files
    # requests) has nothing to audit; once audited, an agency gets its audit every period, an
    # empty sample included (its memo then says nothing was browsed).
    if first is None and not await repository.count_browsing(
        conn, agency, *sample_window(sample_months, now)
    ):
        return None
    size = policy.audits.sample_size  # R21: at least 10 (the policy refuses fewer)
    made = await draw_and_insert(
        conn,
        agency,
        now,
        sample_months,
        size,
        created_by,
        schedule={"period_start": period.start, "due_at": period.end, "cadence": str(cadence)},
    )
    if made is None:
        return None
    audit_id, drawn, available = made
    return Scheduled(audit_id, agency, period, cadence, size, drawn, available)
