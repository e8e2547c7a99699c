"""The SQL of the public pages: the agencies that published a policy, their names, and
aggregate counts of sharing (never a row of a request)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..policy.repository import PolicyRow, rows
from ..tables import agencies, agency_policies, requests


async def approved_versions(session: AsyncSession) -> list[PolicyRow]:
    """Every approved policy version of every agency, oldest first: in force, past or scheduled."""
    t = agency_policies
    q = select(t).where(t.c.decision == "approved").order_by(t.c.agency, t.c.version)
    return rows(await session.execute(q))


async def names(session: AsyncSession, oris: list[str]) -> dict[str, str]:
    """The registered names of these agencies (an agency never registered has none)."""
    if not oris:
        return {}
    q = select(agencies.c.ori, agencies.c.name).where(agencies.c.ori.in_(oris))
    return {ori: name for ori, name in (await session.execute(q)).all()}


async def requests_by_status(session: AsyncSession, host: str) -> list[tuple[str, int]]:
    q = (
        select(requests.c.status, func.count())
        .where(requests.c.host_agency == host)
        .group_by(requests.c.status)
        .order_by(requests.c.status)
    )
    return [(str(s), int(n)) for s, n in (await session.execute(q)).all()]


async def releases_by_partner(session: AsyncSession, host: str) -> list[tuple[str, str | None, int, int]]:
    """Per partner agency: (ORI, registered name, requests with data released, detections
    released), most detections first."""
    released = func.sum(requests.c.released_count)
    q = (
        select(requests.c.agency_ori, agencies.c.name, func.count(), released)
        .select_from(requests.outerjoin(agencies, agencies.c.ori == requests.c.agency_ori))
        .where(requests.c.host_agency == host, requests.c.released_count > 0)
        .group_by(requests.c.agency_ori, agencies.c.name)
        .order_by(released.desc(), requests.c.agency_ori)
    )
    return [(str(o), name, int(n), int(d or 0)) for o, name, n, d in (await session.execute(q)).all()]
