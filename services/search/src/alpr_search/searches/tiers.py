"""Warrant-style tiers (issue 17, R8): which searches need more than a purpose and a case number,
and what they then need. Pure functions: the tiers a search meets, and which of them a legal
process reference or a supervisor's approval meets.

The conditions:

* ``window_longer_than_days`` (N): the search's window (``to - from``) is longer than N days;
* ``area_canvass``: the search names an ``area`` (every vehicle near a place);
* ``partial_plate``: the plate has a wildcard (``*`` any run, ``?`` one character, as the query
  treats them);
* ``all_cameras_longer_than_hours`` (N): a plate followed across every camera (no
  ``camera_ids`` and no ``area``) for a window longer than N hours.

A legal process (warrant or court order) meets every tier; a supervisor's approval meets those
that require ``supervisor_approval`` only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from alpr_common import Forbidden, TierCondition, TierRequirement, WarrantTier, normalize_plate_pattern

from .schemas import LegalProcess, SearchRequest


def describe(tier: WarrantTier) -> str:
    """A tier in words, for a refusal's detail: ``a window longer than 30 days``."""
    match tier.condition:
        case TierCondition.WINDOW_LONGER_THAN_DAYS:
            what = f"a window longer than {tier.threshold} days"
        case TierCondition.AREA_CANVASS:
            what = "an area canvass"
        case TierCondition.PARTIAL_PLATE:
            what = "a partial plate"
        case TierCondition.ALL_CAMERAS_LONGER_THAN_HOURS:
            what = f"a plate across every camera for more than {tier.threshold} hours"
    return f"{what} ({tier.condition.value}) needs {tier.requires.value.replace('_', ' ')}"


def meets(tier: WarrantTier, body: SearchRequest) -> bool:
    """Whether the search ``body`` (its window already checked) falls in ``tier``."""
    window = body.to - body.from_ if body.from_ is not None and body.to is not None else timedelta(0)
    match tier.condition:
        case TierCondition.WINDOW_LONGER_THAN_DAYS:
            return window > timedelta(days=tier.threshold or 0)
        case TierCondition.AREA_CANVASS:
            return body.area is not None
        case TierCondition.PARTIAL_PLATE:
            plate = normalize_plate_pattern(body.plate) if body.plate else ""
            return "*" in plate or "?" in plate
        case TierCondition.ALL_CAMERAS_LONGER_THAN_HOURS:
            every_camera = bool(body.plate) and not body.camera_ids and body.area is None
            return every_camera and window > timedelta(hours=tier.threshold or 0)
    return False  # pragma: no cover - every condition is matched above


def tiers_met(tiers: Sequence[WarrantTier], body: SearchRequest) -> list[WarrantTier]:
    """The agency's tiers the search falls in, in the policy's order."""
    return [tier for tier in tiers if meets(tier, body)]


def recorded_tier(tier: WarrantTier) -> dict[str, Any]:
    return {"condition": tier.condition.value, "threshold": tier.threshold, "requires": tier.requires.value}


@dataclass(frozen=True)
class Clearance:
    """What let a search run: the tiers it fell in and how they were met (the approval it used,
    or the legal process it named). Recorded in its ``search.executed`` event's ``data``, so
    the sample audits show it (R21)."""

    tiers: list[WarrantTier] = field(default_factory=list)
    approval_id: str | None = None
    legal_process: LegalProcess | None = None

    def recorded(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.tiers:
            met_by = "legal_process" if self.legal_process is not None else "approval"
            data["tiers"] = [{**recorded_tier(t), "met_by": met_by} for t in self.tiers]
        if self.approval_id is not None:
            data["approval_id"] = self.approval_id
        if self.legal_process is not None:
            data["legal_process"] = self.legal_process.model_dump(mode="json")
        return data


class TierRefused(Forbidden):
    """403: a search in a warrant-style tier without what the tier requires, or with an
    approval that cannot be used. ``data`` goes into the refused ``search.executed`` event."""

    def __init__(self, detail: str, data: dict[str, Any]) -> None:
        super().__init__(detail)
        self.data = data


def unmet(tiers: Sequence[WarrantTier], *, approval: bool) -> list[WarrantTier]:
    """Of the tiers met, those neither a legal process (none given) nor, when ``approval``, a
    usable supervisor's approval meets."""
    if approval:
        return [t for t in tiers if t.requires is not TierRequirement.SUPERVISOR_APPROVAL]
    return list(tiers)


def refuse_unmet(agency: str, version: int, missing: Sequence[WarrantTier]) -> TierRefused:
    needs = "; ".join(describe(t) for t in missing)
    legal = any(t.requires is TierRequirement.LEGAL_PROCESS for t in missing)
    how = (
        "name the warrant or court order (`legal_process`)"
        if legal
        else "ask a supervisor first (`POST /v1/search-requests`) and name the approval (`approval_id`), "
        "or name a warrant or court order (`legal_process`)"
    )
    return TierRefused(
        f"This search is in a warrant-style tier of the agency {agency} (its policy, version {version}; "
        f"issue 17): {needs}. To run it, {how}.",
        {"tiers_unmet": [recorded_tier(t) for t in missing]},
    )
