"""API shapes of purpose-bound searches (R5-R8)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from alpr_common import Area, DetectionPublic, Purpose


def required_in_schema(*names: str) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` that documents ``names`` as required and not null (issue 18). The
    service, not validation, refuses a request without them (422, recorded on the ledger: R5,
    R7), so the model keeps them optional; the schema still says what a request must carry."""

    def extra(schema: dict[str, Any]) -> None:
        properties: dict[str, dict[str, Any]] = schema.get("properties", {})
        for name in names:
            prop = properties[name]
            prop.pop("default", None)
            kept = [branch for branch in prop.pop("anyOf", []) if branch.get("type") != "null"]
            if len(kept) == 1:
                prop.update(kept[0])
            elif kept:
                prop["anyOf"] = kept
        required: list[str] = schema.setdefault("required", [])
        required.extend(name for name in names if name not in required)

    return extra


class VehicleCriteria(BaseModel):
    """What a search asks of the vehicle: make, color, type."""

    make: str | None = Field(None, max_length=40)
    color: str | None = Field(None, max_length=20)
    type: str | None = Field(None, max_length=20)


class LegalProcessKind(StrEnum):
    WARRANT = "warrant"
    COURT_ORDER = "court_order"


class LegalProcess(BaseModel):
    """Issue 17, warrant-style tiers: the legal process a search runs under (a warrant or a court
    order: its number, the issuing court, the date it was issued). It meets a tier that requires
    legal process, and also one that requires a supervisor's approval: a judge's order is more
    than a supervisor's. Shown, as given, on the search's ledger event and so in sample audits
    (R21)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: LegalProcessKind
    number: str = Field(
        min_length=2,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./:#()-]*$",
        description="The warrant or court-order number, as the court issued it.",
    )
    court: str = Field(
        min_length=3,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The issuing court, e.g. `Superior Court of California, County of Santa Clara`.",
    )
    issued_on: date = Field(description="The date it was issued; never in the future.")

    @field_validator("issued_on")
    @classmethod
    def _not_in_the_future(cls, value: date) -> date:
        # California's date is never ahead of UTC's: an order issued today there is valid here.
        if value > datetime.now(UTC).date():
            raise ValueError("issued_on is in the future")
        if value.year < 1900:
            raise ValueError("issued_on is not a plausible date")
        return value


class SearchRequest(BaseModel):
    """Purpose, case number and criteria. Purpose and time range are checked by the service
    (not by validation) so that a search missing them is refused *and recorded* (R5, R7)."""

    purpose: Purpose | None = None
    case_number: str | None = Field(
        None,
        max_length=64,
        description=(
            "Matches the agency's `case_number_pattern` (default `^[0-9]{2,4}-[0-9]{3,10}$`); required "
            "unless the agency's `case_number_required` is off, then a `reason` will do (R5). A "
            "service caller's is not pattern-checked."
        ),
    )
    reason: str | None = Field(None, max_length=2000)
    plate: str | None = Field(
        None, max_length=32, description="Full or partial; `*` any run, `?` one character (R8)."
    )
    state: str | None = Field(
        None,
        max_length=8,
        description=(
            "The issuing state or region (`CA`). Detections whose state the reader could not tell "
            '(region `unknown`) are included and marked `state_match: "unknown"` unless '
            "`include_unknown_state` is false (issue 21)."
        ),
    )
    include_unknown_state: bool = Field(
        True,
        description=(
            "With `state`: also return detections whose state is unknown, each marked "
            '`state_match: "unknown"`; false returns only detections of that state.'
        ),
    )
    from_: AwareDatetime | None = Field(None, alias="from")
    to: AwareDatetime | None = Field(
        None, description="After `from`, at most the agency's `max_search_days` (default 90) later."
    )
    camera_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    area: Area | None = None
    vehicle: VehicleCriteria | None = None
    agency: str | None = Field(None, max_length=32, description="Service callers only: the host agency.")
    sharing_request_id: uuid.UUID | None = Field(
        None, description="Service callers only: the sharing request."
    )
    approval_id: uuid.UUID | None = Field(
        None,
        description=(
            "Issue 17: the search request a supervisor approved for this very search (same "
            "purpose, case number, reason and criteria), for a search in a warrant-style tier; "
            "used once (its continuation pages do not use it again)."
        ),
    )
    legal_process: LegalProcess | None = Field(
        None, description="Issue 17: the warrant or court order a search in a warrant-style tier runs under."
    )
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=512)

    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra=required_in_schema("purpose", "from", "to")
    )


class SearchResponse(BaseModel):
    search_id: uuid.UUID
    items: list[DetectionPublic]
    next_cursor: str | None = None
