"""Which rules a new policy version loosens against the one it replaces (issue 17): a loosening
waits for a commander's approval; anything else takes force at its ``effective_from``."""

from __future__ import annotations

from alpr_common import AgencyPolicy, AuditCadence, Auditor, TierCondition, TierRequirement, WarrantTier

_CADENCE_RANK = {cadence: rank for rank, cadence in enumerate(AuditCadence)}  # most frequent first
_REQUIREMENT_RANK = {req: rank for rank, req in enumerate(TierRequirement)}  # weakest first


def _longer(new: int | None, old: int | None) -> bool:
    """``None`` is indefinitely: longer than any number of days."""
    if new is None:
        return old is not None
    return old is not None and new > old


def _tier_loosenings(old: list[WarrantTier], new: list[WarrantTier]) -> list[str]:
    """A tier dropped, its threshold raised, or its requirement weakened."""
    out: list[str] = []
    now: dict[TierCondition, WarrantTier] = {t.condition: t for t in new}
    for before in old:
        key = f"tiers.{before.condition.value}"
        after = now.get(before.condition)
        if after is None:
            out.append(key)
            continue
        old_limit, new_limit = before.threshold, after.threshold
        if old_limit is not None and new_limit is not None and new_limit > old_limit:
            out.append(f"{key}.threshold")
        if _REQUIREMENT_RANK[after.requires] < _REQUIREMENT_RANK[before.requires]:
            out.append(f"{key}.requires")
    return out


def loosenings(old: AgencyPolicy, new: AgencyPolicy) -> list[str]:
    """The rules ``new`` loosens against ``old``, by dotted field name; empty when it tightens
    or keeps every rule. The published text (``published``) is never a rule."""
    out: list[str] = []

    def flag(name: str, loosened: bool) -> None:
        if loosened:
            out.append(name)

    s0, s1 = old.search, new.search
    # R5: a different case-number pattern may accept more numbers; no pattern is provably narrower.
    flag("search.case_number_pattern", s1.case_number_pattern != s0.case_number_pattern)
    flag("search.case_number_required", s0.case_number_required and not s1.case_number_required)
    flag("search.max_search_days", s1.max_search_days > s0.max_search_days)  # R8
    flag("search.allowed_purposes", not set(s1.allowed_purposes) <= set(s0.allowed_purposes))  # R6
    out.extend(_tier_loosenings(old.tiers, new.tiers))

    r0, r1 = old.retention, new.retention  # R14, R16, R33: longer retention loosens
    flag("retention.detection_days", r1.detection_days > r0.detection_days)
    flag("retention.floor_days", r1.floor_days < r0.floor_days)
    flag("retention.ceiling_days", r1.ceiling_days > r0.ceiling_days)
    flag("retention.alert_days", r1.alert_days > r0.alert_days)
    flag("retention.hit_days", _longer(r1.hit_days, r0.hit_days))
    flag("retention.hits_keep_crop", r1.hits_keep_crop and not r0.hits_keep_crop)

    h0, h1 = old.sharing, new.sharing  # R24-R29: wider sharing loosens
    flag("sharing.host_state", h1.host_state != h0.host_state)
    flag("sharing.federal_allowed", h1.federal_allowed and not h0.federal_allowed)
    flag("sharing.out_of_state_allowed", h1.out_of_state_allowed and not h0.out_of_state_allowed)
    flag("sharing.denied_agencies", not set(h0.denied_agencies) <= set(h1.denied_agencies))
    flag("sharing.max_results", h1.max_results > h0.max_results)
    flag("sharing.exigent_accepted", h1.exigent_accepted and not h0.exigent_accepted)

    a0, a1 = old.audits, new.audits  # R21, R35: fewer or weaker audits loosen
    flag("audits.cadence", _CADENCE_RANK[a1.cadence] > _CADENCE_RANK[a0.cadence])
    flag("audits.auditor", a0.auditor is Auditor.SEPARATE_UNIT and a1.auditor is not Auditor.SEPARATE_UNIT)
    flag("audits.sample_size", a1.sample_size < a0.sample_size)
    return out


def changed_fields(old: AgencyPolicy, new: AgencyPolicy) -> list[str]:
    """Dotted names of the sections' fields that differ (what the ledger records of a change)."""
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    out: list[str] = []
    for section, value in b.items():
        if isinstance(value, dict):
            out.extend(f"{section}.{k}" for k, v in value.items() if a[section].get(k) != v)
        elif a[section] != value:
            out.append(section)
    return out
