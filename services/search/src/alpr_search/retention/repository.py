"""Every SQL statement of the retention purge (R16): the detection store's day partitions and
the expired detections of each agency."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

PARTITION_PREFIX = "detections_"


async def partitions(conn: AsyncConnection) -> dict[str, date]:
    """The detection store's day partitions, by name, with the day each holds."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE n.nspname = 'search' AND p.relname = 'detections'"
        )
    )
    out = {}
    for (name,) in rows:
        if name.startswith(PARTITION_PREFIX):
            out[name] = datetime.strptime(name[len(PARTITION_PREFIX) :], "%Y%m%d").date()
    return out


# One probe per agency on (agency, captured_at): the next agency after the last (a skip scan),
# then its oldest detection. The detection store is large; its agencies are few.
_OLDEST_BY_AGENCY = text(
    """
    WITH RECURSIVE agencies AS (
        (SELECT agency FROM search.detections ORDER BY agency LIMIT 1)
        UNION ALL
        SELECT (SELECT d.agency FROM search.detections d WHERE d.agency > a.agency
                ORDER BY d.agency LIMIT 1)
        FROM agencies a WHERE a.agency IS NOT NULL
    )
    SELECT a.agency,
        (SELECT min(d.captured_at) FROM search.detections d WHERE d.agency = a.agency) AS oldest
    FROM agencies a WHERE a.agency IS NOT NULL ORDER BY a.agency
    """
)


async def oldest_by_agency(conn: AsyncConnection) -> dict[str, datetime]:
    """Each agency with detections, and the capture time of its oldest (R16, issue 17)."""
    rows = await conn.execute(_OLDEST_BY_AGENCY)
    return {agency: oldest for agency, oldest in rows.all()}


async def count_expired(conn: AsyncConnection, agency: str, cutoff: datetime) -> int:
    """The agency's detections captured before ``cutoff``."""
    n = await conn.scalar(
        text("SELECT count(*) FROM search.detections WHERE agency = :agency AND captured_at < :cutoff"),
        {"agency": agency, "cutoff": cutoff},
    )
    return int(n or 0)


async def drop_partition(conn: AsyncConnection, name: str) -> None:
    """Drops a whole day partition (``name`` as :func:`partitions` gives it)."""
    await conn.execute(text(f"DROP TABLE search.{name}"))


async def delete_expired(conn: AsyncConnection, agency: str, cutoff: datetime) -> None:
    await conn.execute(
        text("DELETE FROM search.detections WHERE agency = :agency AND captured_at < :cutoff"),
        {"agency": agency, "cutoff": cutoff},
    )
