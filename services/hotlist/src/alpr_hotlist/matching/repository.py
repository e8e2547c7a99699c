"""The matching query: a batch of reads against the agency's usable entries in one round trip.

Exact and confusable entries are found through the folded-key index (one probe per read);
wildcard entries, which are few, are tried as regular expressions. Only active, unexpired
entries of alerting hotlists match, and synced ones only while fresh (R11)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import driver_of

_USABLE = """
    e.status = 'active'
    AND (r.region = 'unknown' OR e.state = r.region OR r.region_confidence < $8)
    AND (e.expires_at IS NULL OR e.expires_at > $6)
    AND (e.origin = 'local' OR e.refreshed_at > $7)
"""
_COLUMNS = """
    r.idx, e.id AS entry_id, e.hotlist_id, e.plate AS entry_plate, e.pattern IS NOT NULL AS partial,
    e.state, e.reason, e.case_number, e.ncic_number,
    h.name AS hotlist_name, h.kind AS hotlist_kind, h.priority
"""


@dataclass(frozen=True, slots=True)
class EntryHit:
    """One usable entry a read matched: the read's index in the batch, and the entry as the
    alert keeps it (with its hotlist's name, kind and priority)."""

    idx: int
    entry_id: uuid.UUID
    hotlist_id: uuid.UUID
    entry_plate: str
    partial: bool
    state: str
    reason: str | None
    case_number: str | None
    ncic_number: str | None
    hotlist_name: str
    hotlist_kind: str
    priority: int


# Parameters: $1 read indexes, $2 folded keys, $3 plates, $4 agencies, $5 regions, $6 now,
# $7 the oldest refresh still fresh (R11), $8 the region confidence under which the state need
# not agree (issue 21), $9 region confidences (NULL: as sure as the region says).
CANDIDATES = f"""
    WITH r AS (
        SELECT * FROM unnest(
            CAST($1 AS int[]), CAST($2 AS text[]), CAST($3 AS text[]),
            CAST($4 AS text[]), CAST($5 AS text[]), CAST($9 AS float8[])
        ) AS r(idx, key, plate, agency, region, region_confidence)
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


async def candidates(
    session: AsyncSession,
    *,
    keys: Sequence[str],
    plates: Sequence[str],
    agencies: Sequence[str],
    regions: Sequence[str],
    region_confidences: Sequence[float | None],
    min_region_confidence: float,
    now: datetime,
    fresh_since: datetime,
) -> list[EntryHit]:
    # The hottest statement of the service: run on the session's own connection (same
    # transaction) through the driver's prepared-statement cache, without the ORM's row layer.
    driver = await driver_of(session)
    rows = await driver.fetch(
        CANDIDATES, list(range(len(keys))), list(keys), list(plates), list(agencies), list(regions), now,
        fresh_since, min_region_confidence, list(region_confidences),
    )  # fmt: skip
    return [EntryHit(**r) for r in rows]
