"""The detection store's search as another service runs it (issue 22, item 1: one wire model for
each body that crosses a service boundary). Sharing's release fulfilment (R28) posts a
``ServiceSearch`` to search's ``POST /v1/searches`` naming the host agency and the sharing
request, and reads a ``SearchPage`` of ``DetectionPublic``: the same shape investigators see
(R15), which search's own routes answer too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ._shapes import Area
from ._vocabulary import Purpose


class DetectionPublic(BaseModel):
    """A detection as investigators see it (R15). No owner data exists here (R31)."""

    id: uuid.UUID = Field(description="The read id.")
    plate: str
    plate_corrected: str | None = None
    region: str
    confidence: float
    captured_at: datetime
    camera_id: uuid.UUID
    latitude: float | None
    longitude: float | None
    vehicle: dict[str, str] = Field(default_factory=dict)
    crop_url: str | None = Field(None, description="Presigned, short expiry.")
    frame_url: str | None = Field(None, description="Presigned, short expiry.")
    state_match: Literal["exact", "unknown"] | None = Field(
        None,
        description=(
            "Only in the answer to a search with a `state`: `exact` when the detection's region is "
            "that state, `unknown` when the reader could not tell the state (region `unknown`), "
            "which such a search includes unless `include_unknown_state` is false (issue 21)."
        ),
    )


class ServiceSearch(BaseModel):
    """What a service sends to ``POST /v1/searches`` (a subset of search's own request): the
    purpose, case number and reason it runs under (R5), the criteria (R8), and the host agency
    and sharing request it runs for (R28). It serializes by alias (``from``), as search reads it;
    the client leaves out what is ``None``."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    agency: str = Field(max_length=32, description="The host agency whose detections are searched.")
    sharing_request_id: uuid.UUID = Field(description="The sharing request the search fulfils.")
    purpose: Purpose
    case_number: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=2000)
    plate: str | None = Field(None, max_length=32)
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    area: Area | None = None
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=512)


class SearchPage(BaseModel):
    """A page of a search's answer: its id, the detections, and the cursor of the next page."""

    search_id: uuid.UUID
    items: list[DetectionPublic]
    next_cursor: str | None = None
