"""Small shapes that more than one service's API uses, defined once so that one name has one
shape in every document and in the merged one (issue 18, item 2; issue 22, item 1)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Person(BaseModel):
    """Who did something: the token's subject and display name (never more of the person)."""

    sub: str
    name: str


class Area(BaseModel):
    """A circle on the map: a search's or a request's area (R8: as narrow as the purpose needs)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=100_000)
