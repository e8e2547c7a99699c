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


async def expired_by_agency(conn: AsyncConnection, now: datetime, default_days: int) -> dict[str, int]:
    """Per agency, its detections captured before ``now`` less its own retention period (or
    ``default_days`` where it has set none)."""
    counts = await conn.execute(
        text(
            "SELECT d.agency, count(*) FROM search.detections d "
            "LEFT JOIN search.agency_settings s ON s.agency = d.agency "
            "WHERE d.captured_at < CAST(:now AS timestamptz) "
            "- make_interval(days => coalesce(s.retention_days, :default_days)) "
            "GROUP BY d.agency"
        ),
        {"now": now, "default_days": default_days},
    )
    return {agency: int(n) for agency, n in counts}


async def drop_partition(conn: AsyncConnection, name: str) -> None:
    """Drops a whole day partition (``name`` as :func:`partitions` gives it)."""
    await conn.execute(text(f"DROP TABLE search.{name}"))


async def delete_expired(conn: AsyncConnection, agency: str, cutoff: datetime) -> None:
    await conn.execute(
        text("DELETE FROM search.detections WHERE agency = :agency AND captured_at < :cutoff"),
        {"agency": agency, "cutoff": cutoff},
    )
