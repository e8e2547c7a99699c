"""API shapes of legal holds and evidence exports (R17)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from alpr_common import Area, Purpose

from ..detections.schemas import DetectionPublic
from ..searches.schemas import LegalProcess, required_in_schema

MAX_HELD = 10_000
# Evidence packages lie under ``evidence/{agency}/{hold_id}/``; the retention purge finds them
# there once their hold is released and its detections expire (R16, R17, issue 17).
EVIDENCE_PREFIX = "evidence/"


def evidence_key(agency: str, hold_id: uuid.UUID, stamp: datetime) -> str:
    """Where an evidence package exported at ``stamp`` goes in the object store."""
    return f"{EVIDENCE_PREFIX}{agency}/{hold_id}/{stamp:%Y%m%dT%H%M%S%fZ}.zip"


class HoldSearch(BaseModel):
    """Criteria of a search whose every result is held (R17: detections "by a search"). It is a
    search: it needs what ``POST /v1/searches`` needs (a purpose, the hold's case number in the
    agency's pattern, a time range no longer than a search's) and is recorded as one (R5-R8);
    the service checks them so that a refused attempt is recorded too."""

    purpose: Purpose | None = Field(None, description="Required: an authorized purpose (R5, R7).")
    plate: str | None = Field(None, max_length=32, description="Full or partial (`*`, `?`).")
    state: str | None = Field(
        None,
        max_length=8,
        description="As a search's: detections of unknown state included unless told not to.",
    )
    include_unknown_state: bool = Field(
        True, description="With `state`: also hold detections whose state is unknown (issue 21)."
    )
    from_: AwareDatetime | None = Field(None, alias="from", description="Required.")
    to: AwareDatetime | None = Field(None, description="Required; at most a search's range after `from`.")
    camera_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    area: Area | None = None
    approval_id: uuid.UUID | None = Field(
        None,
        description="Issue 17: in a warrant-style tier, the search request a supervisor approved for "
        "this search (as `POST /v1/searches` takes it; used once).",
    )
    legal_process: LegalProcess | None = Field(
        None, description="Issue 17: in a warrant-style tier, the warrant or court order it runs under."
    )

    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra=required_in_schema("purpose", "from", "to")
    )


class HoldCreate(BaseModel):
    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    detection_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_HELD)
    search: HoldSearch | None = Field(None, description="Hold every detection these criteria find.")

    @model_validator(mode="after")
    def _something(self) -> HoldCreate:
        if not self.detection_ids and self.search is None:
            raise ValueError("name detection_ids or a search")
        return self


class Hold(BaseModel):
    """A legal hold: who holds what for which case, and who released it (the stored record, and
    the head of the API shape)."""

    id: uuid.UUID
    agency: str
    case_number: str
    reason: str
    holder: dict[str, Any]
    created_at: datetime
    released_at: datetime | None = None
    released_by: dict[str, Any] | None = None


class HoldPublic(Hold):
    items: list[DetectionPublic]


class ExportOut(BaseModel):
    hold_id: uuid.UUID
    key: str
    url: str = Field(description="Presigned, short expiry.")
    sha256: str = Field(description="SHA-256 of the package file.")
    files: int
