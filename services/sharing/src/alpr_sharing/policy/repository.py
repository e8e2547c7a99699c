"""Persistence of agency policy versions. Every statement is scoped to one agency: the caller's
own (or, for a service, the one it names), so another agency's record is never reached (R27)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import AgencyPolicy, PolicyActor

from ..records import Record, stored, values
from ..tables import agency_policies as t


class PolicyRow(Record):
    """One stored version, as written."""

    agency: str
    version: int
    policy: AgencyPolicy
    reason: str
    effective_from: datetime
    loosens: list[str]
    decision: str  # pending | approved | rejected
    in_force_from: datetime | None
    proposed_by: PolicyActor
    proposed_at: datetime
    decided_by: PolicyActor | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


def rows(result: Result[Any]) -> list[PolicyRow]:
    return [PolicyRow.of(m) for m in result.mappings().all()]


async def lock_agency(session: AsyncSession, agency: str) -> None:
    """Serialises changes to one agency's record until the transaction ends (version numbers
    are given out one at a time; approvals see every version made before them)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('sharing.agency_policies'), hashtext(:agency))"),
        {"agency": agency},
    )


async def next_version(session: AsyncSession, agency: str) -> int:
    q = select(func.coalesce(func.max(t.c.version), 0)).where(t.c.agency == agency)
    return int((await session.execute(q)).scalar_one()) + 1


async def create(session: AsyncSession, row: PolicyRow) -> None:
    await session.execute(t.insert().values(**values(row)))


async def get(session: AsyncSession, agency: str, version: int) -> PolicyRow | None:
    q = select(t).where(t.c.agency == agency, t.c.version == version)
    found = rows(await session.execute(q))
    return found[0] if found else None


async def approved(session: AsyncSession, agency: str) -> list[PolicyRow]:
    """Every approved version of ``agency``, oldest first (what decides which is in force)."""
    q = select(t).where(t.c.agency == agency, t.c.decision == "approved").order_by(t.c.version)
    return rows(await session.execute(q))


async def page(session: AsyncSession, agency: str, before: int | None, limit: int) -> list[PolicyRow]:
    """Versions of ``agency``, newest first, below ``before``; one more than ``limit`` when
    there are more."""
    q = select(t).where(t.c.agency == agency)
    if before is not None:
        q = q.where(t.c.version < before)
    return rows(await session.execute(q.order_by(t.c.version.desc()).limit(limit + 1)))


async def decide(session: AsyncSession, decided: PolicyRow) -> None:
    """Writes the decision on a pending version (the only change a version ever gets)."""
    q = update(t).where(
        t.c.agency == decided.agency, t.c.version == decided.version, t.c.decision == "pending"
    )
    await session.execute(
        q.values(
            decision=decided.decision,
            in_force_from=decided.in_force_from,
            decided_by=stored(decided.decided_by),
            decided_at=decided.decided_at,
            decision_note=decided.decision_note,
        )
    )
