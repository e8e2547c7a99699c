"""Cursor pagination: ``GET ...?limit=&cursor=`` answers ``{"items": [...], "next_cursor": ...}``.

Cursors are opaque and signed (issue 16): HMAC-SHA256 under the service's cursor key over the
position and what the cursor is bound to: the route that made it and the caller (agency and
subject). A cursor altered, forged, or taken to another route or another caller is refused
with 400, so a new search cannot pass itself off as the next page of an old one. The key is
the app's (``cursor_key``: derived from the service's own client secret, which every replica
shares; random per process without one), found through the request's context."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import ColumnElement, Select

from ._problems import BadRequest

T = TypeVar("T")
RowT = TypeVar("RowT")
PositionT = TypeVar("PositionT", bound="Position")
SelectT = TypeVar("SelectT", bound=Select[Any])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size (default 50, at most 500).")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Position(BaseModel):
    """The shape of a cursor's position; a cursor that does not fit its list's shape is a 400
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


# The key and the binding of the request being served (set by the request middleware and the
# authenticator); outside a request (a CLI), a key of the process and no binding.
cursor_key_var: ContextVar[bytes | None] = ContextVar("alpr_cursor_key", default=None)
cursor_route_var: ContextVar[str] = ContextVar("alpr_cursor_route", default="")
cursor_caller_var: ContextVar[str] = ContextVar("alpr_cursor_caller", default="")
_PROCESS_KEY = secrets.token_bytes(32)
_TAG_BYTES = 16


def cursor_key(client_secret: str) -> bytes:
    """A service's cursor key: derived from its own client secret (shared by its replicas, so a
    cursor made by one is good at another), or random for this process without one."""
    if not client_secret:
        return secrets.token_bytes(32)
    return hmac.new(client_secret.encode(), b"alpr cursor key v1", hashlib.sha256).digest()


def _tag(payload: str) -> str:
    key = cursor_key_var.get() or _PROCESS_KEY
    message = f"{cursor_route_var.get()}|{cursor_caller_var.get()}|{payload}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(position: dict[str, Any] | Position) -> str:
    """An opaque, signed cursor for the position after the last item of a page."""
    if isinstance(position, Position):
        position = position.model_dump(mode="json")
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{_tag(payload)}"


@overload
def decode_cursor(cursor: str | None) -> dict[str, Any] | None: ...
@overload
def decode_cursor(cursor: str | None, shape: type[PositionT]) -> PositionT | None: ...
def decode_cursor(
    cursor: str | None, shape: type[PositionT] | None = None
) -> dict[str, Any] | PositionT | None:
    """The position in ``cursor`` (checked against ``shape`` when given). A cursor that was not
    made here, for this route and this caller, or that was altered, is a 400 problem."""
    if cursor is None:
        return None
    payload, _, tag = cursor.partition(".")
    # A cursor this service made is ASCII (base64 and a hex tag); compare_digest refuses to
    # compare other text (TypeError), which must be a 400, not a 500 (found by fuzzing).
    if not tag or not cursor.isascii() or not hmac.compare_digest(tag, _tag(payload)):
        raise BadRequest("The cursor is not valid here: it was altered, or made for another list or caller.")
    try:
        data = json.loads(_b64decode(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("The cursor is not valid.") from None
    if not isinstance(data, dict):
        raise BadRequest("The cursor is not valid.")
    if shape is None:
        return data
    try:
        return shape.model_validate(data)
    except ValidationError:
        raise BadRequest("The cursor is not valid.") from None


def next_cursor(
    rows: Sequence[object], items: Sequence[T], limit: int, position: Callable[[T], Position]
) -> str | None:
    """The cursor to the page after ``items``, or None on the last page: the list's query asks
    for ``limit + 1`` rows, and one more than ``limit`` means there is a next page."""
    return encode_cursor(position(items[-1])) if len(rows) > limit and items else None


def page_of(
    rows: Sequence[RowT], limit: int, item: Callable[[RowT], T], position: Callable[[T], Position]
) -> Page[T]:
    """A page of the first ``limit`` of ``rows`` (fetched ``limit + 1``) as items, with the cursor
    to the next page, where ``position`` of the last item is the position after it."""
    items = [item(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=next_cursor(rows, items, limit, position))


# A page's query: keyset pagination over one unique, ordered column (the position a cursor holds).


def rows_before(query: SelectT, column: ColumnElement[Any], before: object | None, limit: int) -> SelectT:
    """``query``'s rows below ``before`` on ``column`` (all when None), newest first: ``limit``
    of them (a page's ``limit + 1``)."""
    if before is not None:
        query = query.where(column < before)
    return query.order_by(column.desc()).limit(limit)


def rows_after(query: SelectT, column: ColumnElement[Any], after: object | None, limit: int) -> SelectT:
    """``query``'s rows above ``after`` on ``column`` (all when None), in ``column``'s order:
    ``limit`` of them (a page's ``limit + 1``)."""
    if after is not None:
        query = query.where(column > after)
    return query.order_by(column).limit(limit)
