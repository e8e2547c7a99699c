"""The SQL of a search: criteria into predicates the detection store's indexes serve.

The statement is written out as PostgreSQL text with positional parameters rather than built as
a SQLAlchemy expression: a search's statement differs only in which criteria it has, so each
shape of search is one text (and one prepared statement per connection), and neither the
expression tree nor its cache key is rebuilt on every request (issue 16: what search adds above
its SQL). Every value is a parameter; only column names and operators are written in."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alpr_common import normalize_plate_pattern

from .schemas import SearchRequest

EARTH_RADIUS_M = 6_371_000.0
UNKNOWN_REGION = "unknown"  # what ingest stores when the reader could not tell the state

# Every column of ``search.detections``, in table order (``DetectionRow``'s fields).
COLUMNS = (
    "id, captured_at, agency, camera_id, latitude, longitude, plate, plate_corrected, region, "
    "confidence, box, crop_key, frame_key, vehicle, created_at, model_version"
)
VEHICLE_KEYS = ("make", "color", "type")


@dataclass
class SearchSQL:
    """A search's statement: its text and its parameters (``$1`` is ``params[0]``)."""

    predicates: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    text: str = ""

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"


def plate_predicate(sql: SearchSQL, pattern: str) -> str:
    """Exact when there is no wildcard; otherwise LIKE over the whole plate (R8): `*` any run,
    `?` one character, served by the trigram index. A corrected plate matches as well (R22)."""
    plate = normalize_plate_pattern(pattern)
    if "*" not in plate and "?" not in plate:
        p = sql.param(plate)
        return f"(plate = {p} OR plate_corrected = {p})"
    p = sql.param(plate.replace("*", "%").replace("?", "_"))
    return f"(plate LIKE {p} OR plate_corrected LIKE {p})"


def state_predicate(sql: SearchSQL, state: str, *, include_unknown: bool) -> str:
    """The detection's region is ``state``, or (issue 21) unknown: a read whose state the reader
    could not tell may be from that state, so it is not silently dropped. Plain equalities on
    the column, so the planner keeps its indexes."""
    wanted = f"region = {sql.param(state.upper())}"
    return f"({wanted} OR region = {sql.param(UNKNOWN_REGION)})" if include_unknown else wanted


def area_predicate(sql: SearchSQL, lat: float, lon: float, radius_m: float) -> str:
    """A bounding box (index) refined by the haversine distance."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    la, lo, r = sql.param(lat), sql.param(lon), sql.param(radius_m)
    box = (
        f"latitude BETWEEN {sql.param(lat - dlat)} AND {sql.param(lat + dlat)} "
        f"AND longitude BETWEEN {sql.param(lon - dlon)} AND {sql.param(lon + dlon)}"
    )
    haversine = (
        f"2 * {EARTH_RADIUS_M} * asin(sqrt(power(sin(radians(latitude - {la}::float8) / 2), 2) "
        f"+ cos(radians({la}::float8)) * cos(radians(latitude)) "
        f"* power(sin(radians(longitude - {lo}::float8) / 2), 2)))"
    )
    return f"{box} AND {haversine} <= {r}::float8"


def build(
    agency: str, body: SearchRequest, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> SearchSQL:
    """The agency's detections meeting ``body``'s criteria, newest first, after the position
    ``after`` (capture time, id) of the previous page, at most ``limit`` of them."""
    if body.from_ is None or body.to is None:
        raise ValueError("a search needs its time range checked before it is built")
    sql = SearchSQL()
    where = sql.predicates
    where.append(f"agency = {sql.param(agency)}")
    where.append(f"captured_at >= {sql.param(body.from_)}")
    where.append(f"captured_at < {sql.param(body.to)}")
    if body.plate:
        where.append(plate_predicate(sql, body.plate))
    if body.state:
        where.append(state_predicate(sql, body.state, include_unknown=body.include_unknown_state))
    if body.camera_ids:
        where.append(f"camera_id = ANY({sql.param(list(body.camera_ids))}::uuid[])")
    if body.area:
        where.append(area_predicate(sql, body.area.latitude, body.area.longitude, body.area.radius_m))
    if body.vehicle:
        for key in VEHICLE_KEYS:  # column keys from this fixed list; the values are parameters
            value = getattr(body.vehicle, key)
            if value:
                where.append(f"lower(vehicle ->> '{key}') = {sql.param(value.lower())}")
    if after is not None:
        at, last_id = after
        a, i = sql.param(at), sql.param(last_id)
        where.append(f"(captured_at < {a} OR (captured_at = {a} AND id < {i}))")
    sql.text = (
        f"SELECT {COLUMNS} FROM search.detections WHERE {' AND '.join(where)} "
        f"ORDER BY captured_at DESC, id DESC LIMIT {sql.param(limit)}"
    )
    return sql
