"""Issue 22, item 1: what another service posts to ``POST /v1/searches`` (``ServiceSearch``, sharing's
release fulfilment, R28) is read by search's own ``SearchRequest`` field for field, and what
search answers (``SearchResponse``) is read by the shared ``SearchPage``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from alpr_common import Area, DetectionPublic, Purpose, SearchPage, ServiceSearch
from alpr_search.searches.schemas import SearchRequest, SearchResponse


def test_a_service_search_is_read_by_the_search_request_as_sent() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    request_id = uuid.uuid4()
    sent = ServiceSearch(
        agency="CA0019400",
        sharing_request_id=request_id,
        purpose=Purpose.STOLEN_VEHICLE,
        case_number="26-000123",
        reason=f"sharing request {request_id}",
        plate="7ABC*",
        from_=start,
        to=start + timedelta(days=3),
        area=Area(latitude=37.33, longitude=-121.89, radius_m=500),
        limit=120,
        cursor="abc",
    )
    # What the client puts on the wire (``post_model``) and the documented dump are the same JSON.
    wire = json.loads(sent.model_dump_json(exclude_none=True))
    assert wire == sent.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert "from" in wire
    assert "from_" not in wire
    read = SearchRequest.model_validate(wire)
    # Every field sent is read as sent (its name on ``SearchRequest`` is the same).
    fields = set(ServiceSearch.model_fields)
    assert read.model_dump(include=fields, by_alias=True) == sent.model_dump(by_alias=True)
    # Nothing ``None`` is sent: no cursor on a first page, no area where the scope has none.
    first = ServiceSearch.model_validate({**wire, "cursor": None, "area": None})
    assert {"cursor", "area"}.isdisjoint(json.loads(first.model_dump_json(exclude_none=True)))


def test_the_search_response_is_read_as_a_search_page() -> None:
    detection = DetectionPublic(
        id=uuid.uuid4(),
        plate="7ABC123",
        region="CA",
        confidence=0.93,
        captured_at=datetime(2026, 1, 2, tzinfo=UTC),
        camera_id=uuid.uuid4(),
        latitude=37.33,
        longitude=-121.89,
        state_match="exact",
    )
    answer = SearchResponse(search_id=uuid.uuid4(), items=[detection], next_cursor="next")
    page = SearchPage.model_validate_json(answer.model_dump_json())
    assert page.model_dump() == answer.model_dump()
    assert page.items == [detection]
