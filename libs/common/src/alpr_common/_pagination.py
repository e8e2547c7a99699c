"""Cursor pagination: ``GET ...?limit=&cursor=`` answers ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ._problems import ValidationProblem

T = TypeVar("T")
PositionT = TypeVar("PositionT", bound="Position")

Limit = Annotated[int, Query(ge=1, le=500, description="Page size (default 50, at most 500).")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Position(BaseModel):
    """The shape of a cursor's position; a cursor that does not fit its list's shape is a 422
    problem, not a value handed on to SQL (issue 19: a foreign ``{"after": 5}`` was a 500)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AfterId(Position):
    after: uuid.UUID


class BeforeId(Position):
    before: uuid.UUID


class BeforeTime(Position):
    before: AwareDatetime


class BeforeSequence(Position):
    before: int = Field(ge=0, le=2**63 - 1)


def encode_cursor(position: dict[str, Any] | Position) -> str:
    """An opaque cursor for the position after the last item of a page."""
    if isinstance(position, Position):
        position = position.model_dump(mode="json")
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@overload
def decode_cursor(cursor: str | None) -> dict[str, Any] | None: ...
@overload
def decode_cursor(cursor: str | None, shape: type[PositionT]) -> PositionT | None: ...
def decode_cursor(
    cursor: str | None, shape: type[PositionT] | None = None
) -> dict[str, Any] | PositionT | None:
    """The position in ``cursor`` (checked against ``shape`` when given); a cursor that was not
    made here is a 422 problem."""
    if cursor is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationProblem("The cursor is not valid.") from None
    if not isinstance(data, dict):
        raise ValidationProblem("The cursor is not valid.")
    if shape is None:
        return data
    try:
        return shape.model_validate(data)
    except ValidationError:
        raise ValidationProblem("The cursor is not valid.") from None
