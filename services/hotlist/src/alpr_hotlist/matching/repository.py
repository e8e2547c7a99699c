"""The matching query: a batch of reads against the agency's usable entries in one round trip.

Exact and confusable entries are found through the folded-key index (one probe per read);
wildcard entries, which are few, are tried as regular expressions. Only active, unexpired
entries of alerting hotlists match, and synced ones only while fresh (R11)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

_USABLE = """
    e.status = 'active'
    AND (r.region = 'unknown' OR e.state = r.region)
    AND (e.expires_at IS NULL OR e.expires_at > :now)
    AND (e.origin = 'local' OR e.refreshed_at > :fresh_since)
"""
_COLUMNS = """
    r.idx, e.id AS entry_id, e.hotlist_id, e.plate AS entry_plate, e.pattern IS NOT NULL AS partial,
    e.state, e.reason, e.case_number, e.ncic_number,
    h.name AS hotlist_name, h.kind AS hotlist_kind, h.priority
"""
CANDIDATES = text(
    f"""
    WITH r AS (
        SELECT * FROM unnest(
            CAST(:idx AS int[]), CAST(:keys AS text[]), CAST(:plates AS text[]),
            CAST(:agencies AS text[]), CAST(:regions AS text[])
        ) AS r(idx, key, plate, agency, region)
    )
    SELECT {_COLUMNS}
    FROM r
    JOIN hotlist.entries e ON e.match_key = r.key AND e.agency = r.agency
    JOIN hotlist.hotlists h ON h.id = e.hotlist_id AND h.alerting
    WHERE {_USABLE}
    UNION ALL
    SELECT {_COLUMNS}
    FROM r
    JOIN hotlist.entries e
        ON e.pattern IS NOT NULL AND e.status = 'active' AND e.agency = r.agency AND r.plate ~ e.pattern
    JOIN hotlist.hotlists h ON h.id = e.hotlist_id AND h.alerting
    WHERE {_USABLE}
    """
)


async def candidates(
    session: AsyncSession,
    *,
    keys: Sequence[str],
    plates: Sequence[str],
    agencies: Sequence[str],
    regions: Sequence[str],
    now: datetime,
    fresh_since: datetime,
) -> list[RowMapping]:
    result = await session.execute(
        CANDIDATES,
        {
            "idx": list(range(len(keys))),
            "keys": list(keys),
            "plates": list(plates),
            "agencies": list(agencies),
            "regions": list(regions),
            "now": now,
            "fresh_since": fresh_since,
        },
    )
    return list(result.mappings().all())
