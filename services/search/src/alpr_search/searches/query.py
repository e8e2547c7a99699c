"""The SQL of a search: criteria into predicates the detection store's indexes serve."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from alpr_common import normalize_plate_pattern

from ..tables import detections
from .schemas import SearchRequest

EARTH_RADIUS_M = 6_371_000.0
UNKNOWN_REGION = "unknown"  # what ingest stores when the reader could not tell the state


def plate_predicate(pattern: str) -> Any:
    """Exact when there is no wildcard; otherwise LIKE over the whole plate (R8): `*` any run,
    `?` one character, served by the trigram index."""
    plate = normalize_plate_pattern(pattern)
    if "*" not in plate and "?" not in plate:
        return or_(detections.c.plate == plate, detections.c.plate_corrected == plate)
    like = plate.replace("*", "%").replace("?", "_")
    return or_(detections.c.plate.like(like), detections.c.plate_corrected.like(like))


def state_predicate(state: str, *, include_unknown: bool) -> Any:
    """The detection's region is ``state``, or (issue 21) unknown: a read whose state the reader
    could not tell may be from that state, so it is not silently dropped. Plain equalities on
    the column, so the planner keeps its indexes."""
    wanted = detections.c.region == state.upper()
    return or_(wanted, detections.c.region == UNKNOWN_REGION) if include_unknown else wanted


def area_predicate(lat: float, lon: float, radius_m: float) -> Any:
    """A bounding box (index) refined by the haversine distance."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    la, lo = detections.c.latitude, detections.c.longitude
    haversine = (
        2
        * EARTH_RADIUS_M
        * func.asin(
            func.sqrt(
                func.power(func.sin(func.radians(la - lat) / 2), 2)
                + func.cos(func.radians(lat))
                * func.cos(func.radians(la))
                * func.power(func.sin(func.radians(lo - lon) / 2), 2)
            )
        )
    )
    return and_(la.between(lat - dlat, lat + dlat), lo.between(lon - dlon, lon + dlon), haversine <= radius_m)


def build(
    agency: str, body: SearchRequest, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Select[Any]:
    if body.from_ is None or body.to is None:
        raise ValueError("a search needs its time range checked before it is built")
    query = select(detections).where(
        detections.c.agency == agency,
        detections.c.captured_at >= body.from_,
        detections.c.captured_at < body.to,
    )
    if body.plate:
        query = query.where(plate_predicate(body.plate))
    if body.state:
        query = query.where(state_predicate(body.state, include_unknown=body.include_unknown_state))
    if body.camera_ids:
        query = query.where(detections.c.camera_id.in_(body.camera_ids))
    if body.area:
        query = query.where(area_predicate(body.area.latitude, body.area.longitude, body.area.radius_m))
    if body.vehicle:
        for key in ("make", "color", "type"):
            value = getattr(body.vehicle, key)
            if value:
                query = query.where(func.lower(detections.c.vehicle[key].astext) == value.lower())
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                detections.c.captured_at < at, and_(detections.c.captured_at == at, detections.c.id < last_id)
            )
        )
    return query.order_by(detections.c.captured_at.desc(), detections.c.id.desc()).limit(limit)
