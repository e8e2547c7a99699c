"""What the public pages show, as plain data: gathered by ``service``, drawn by ``render``.
Aggregates and the published policy only; never a plate, a person (but the custodian) or a place."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from alpr_common import AgencyPolicyVersion


@dataclass(frozen=True)
class Row:
    """One labelled line of a figure: its values in the order of the figure's ``headers``."""

    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    """A breakdown drawn as a bar chart (of its first value) and given as a table. A ``stacked``
    chart's first value is its row's total and the others its parts (one per header after the
    first two: the total's), each bar split into them in colour with a legend (issue 17)."""

    key: str  # unique on the page: the SVG's title and description ids
    title: str
    headers: tuple[str, ...]  # the label's column, then one per value
    rows: list[Row] | None  # None: the figure could not be had now
    empty: str = "None yet."
    stacked: bool = False


@dataclass(frozen=True)
class Figure:
    """One number; ``None`` when it could not be had now."""

    title: str
    value: int | None


@dataclass(frozen=True)
class DateFigure:
    """One date (issue 17: the last audit); ``value`` None with ``available`` is ``empty``."""

    title: str
    value: datetime | None
    available: bool  # False: it could not be had now
    empty: str = "None yet."


@dataclass(frozen=True)
class ListedAgency:
    ori: str
    name: str
    version: int
    since: datetime  # in force from (or, when none is in force yet, when the first takes force)
    in_force: bool


@dataclass(frozen=True)
class AgencyPage:
    ori: str
    name: str
    shown: AgencyPolicyVersion  # the version in force; the scheduled one when none is yet
    in_force: bool
    upcoming: AgencyPolicyVersion | None  # published for comment, in force from a later date
    figures: Figures


@dataclass(frozen=True)
class Figures:
    """An agency's figures as counted at ``counted_at``."""

    counted_at: datetime
    charts: list[Chart]
    figures: list[Figure | DateFigure]


@dataclass
class FiguresCache:
    """Each agency's figures, kept ``ttl_s``: a page anyone may open without a token must not
    have every visit count detections at search and alerts at hotlist. Keyed by the agencies
    that publish a policy only (an unknown ORI is refused before), so it stays small."""

    ttl_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _known: dict[str, tuple[float, Figures]] = field(default_factory=dict)

    def get(self, ori: str) -> Figures | None:
        known = self._known.get(ori)
        return known[1] if known is not None and self.clock() < known[0] else None

    def put(self, ori: str, figures: Figures) -> None:
        self._known[ori] = (self.clock() + self.ttl_s, figures)
