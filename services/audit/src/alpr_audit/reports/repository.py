"""Aggregate queries over the ledger for reports (counts only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..tables import ledger


@dataclass(frozen=True)
class ReleaseRow:
    """Releases to one partner agency for one purpose."""

    agency: str
    purpose: str
    count: int


@dataclass(frozen=True)
class SearcherRow:
    """One person's allowed searches."""

    sub: str
    name: str
    badge: str | None
    searches: int


def _f(expr: str) -> ColumnClause[Any]:
    return literal_column(expr)


def _scope(agency: str, since: str | None, until: str | None) -> list[ColumnElement[bool]]:
    conds = [_f("event->>'agency'") == agency]
    if since:
        conds.append(_f("event->>'occurred_at'") >= since)
    if until:
        conds.append(_f("event->>'occurred_at'") < until)
    return conds


async def grouped(
    conn: AsyncConnection,
    agency: str,
    since: str | None,
    until: str | None,
    key: str,
    *where: ColumnElement[bool],
) -> dict[str, int]:
    k = _f(key)
    query = (
        select(k, func.count()).select_from(ledger).where(*_scope(agency, since, until), *where).group_by(k)
    )
    return {
        str(r[0]) if r[0] is not None else "unspecified": int(r[1]) for r in (await conn.execute(query)).all()
    }


async def count(
    conn: AsyncConnection, agency: str, since: str | None, until: str | None, *where: ColumnElement[bool]
) -> int:
    query = select(func.count()).select_from(ledger).where(*_scope(agency, since, until), *where)
    return int(await conn.scalar(query) or 0)


async def releases(conn: AsyncConnection, agency: str, since: str, until: str) -> list[ReleaseRow]:
    partner, purpose = _f("event->'data'->>'agency'"), _f("event->>'purpose'")
    query = (
        select(partner, purpose, func.count())
        .select_from(ledger)
        .where(*_scope(agency, since, until), _f("event->>'action'") == "sharing.released")
        .group_by(partner, purpose)
        .order_by(partner, purpose)
    )
    return [
        ReleaseRow(str(a or "unknown"), str(p or "unspecified"), int(n))
        for a, p, n in (await conn.execute(query)).all()
    ]


async def searchers(conn: AsyncConnection, agency: str, since: str, until: str) -> list[SearcherRow]:
    """Allowed searches per person, most searches first."""
    sub, name, badge = (
        _f("event->'actor'->>'sub'"),
        _f("event->'actor'->>'name'"),
        _f("event->'actor'->>'badge'"),
    )
    query = (
        select(sub, name, badge, func.count())
        .select_from(ledger)
        .where(*_scope(agency, since, until), action_is("search.executed"), outcome_is("allowed"))
        .group_by(sub, name, badge)
        .order_by(func.count().desc(), sub)
    )
    return [SearcherRow(str(s), str(n or ""), b, int(c)) for s, n, b, c in (await conn.execute(query)).all()]


def action_is(name: str) -> ColumnElement[bool]:
    return _f("event->>'action'") == name


def outcome_is(name: str) -> ColumnElement[bool]:
    return _f("event->>'outcome'") == name


def transition_to_final() -> ColumnElement[bool]:
    return _f("event->'data'->>'to'").in_(["confirmed", "misread", "not_active"])


# R14: the disposition recorded by the move into a final state. A misread closed before
# dispositions were recorded counts as `misread`; another final move without one, as
# `unspecified` (``grouped``'s name for no value).
DISPOSITION = (
    "coalesce(event->'data'->>'disposition', CASE WHEN event->'data'->>'to' = 'misread' THEN 'misread' END)"
)
