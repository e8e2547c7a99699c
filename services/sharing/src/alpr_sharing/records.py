"""How the typed records of sharing's repositories meet their rows (issue 22): a record read from a
row (its JSONB documents as their pydantic shapes, its closed vocabularies as enums), and a
record's column values to write (the shapes dumped as JSON, as the API stores them)."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import RowMapping

from alpr_common import FromRow, Person, Principal

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Record(BaseModel, FromRow):
    """A base for sharing's records (frozen pydantic models): ``X.of(row)``, and so ``X.first``,
    read the row through pydantic, its JSONB documents as their shapes and its closed
    vocabularies as enums. A record whose fields its API shape shows too declares them once, in
    a base of both in the concept's ``schemas``."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def of(cls, row: RowMapping) -> Self:
        return cls.model_validate(dict(row))


def columns(row: BaseModel | DataclassInstance) -> dict[str, Any]:
    """A record's (or a query row's) fields by name, as they are (not copied): what the API
    shapes validate from."""
    if isinstance(row, BaseModel):
        return dict(row)
    return {f.name: getattr(row, f.name) for f in fields(row)}


def stored(value: Any) -> Any:
    """A field's value as its column holds it: a shape as its JSON document, an enum as its value."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [stored(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def values(row: Record) -> dict[str, Any]:
    """A record's column values, to insert it."""
    return {name: stored(v) for name, v in columns(row).items()}


def person(principal: Principal) -> Person:
    """Who did something, as a record keeps them: the subject and display name, never more."""
    return Person(sub=principal.sub, name=principal.name)
