"""Each agency's own search rules (issue 17, item 3): its policy in force, read from sharing
through the service's one cached ``AgencyPolicyClient``. Search's ``SEARCH_*`` settings are only
the rules of an agency without a policy of its own (version 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack

from alpr_common import (
    Action,
    Principal,
    Purpose,
    PurposeProhibited,
    PurposeStated,
    SearchPolicy,
    WarrantTier,
    check_purpose,
    refusals_recorded,
)

from ..context import SearchContext
from ..settings import Settings


@dataclass(frozen=True)
class SearchRules:
    """What a search, a view or a correction of this agency's data needs (R5-R8), and the
    warrant-style tiers its searches fall in (issue 17; applied by ``searches.service``)."""

    agency: str
    policy_version: int  # 0: no policy of its own (or sharing never reached): the settings
    case_number_pattern: str
    case_number_required: bool
    max_search_days: int
    allowed_purposes: frozenset[Purpose]
    tiers: tuple[WarrantTier, ...] = ()

    def check(self, purpose: Purpose, case_number: str | None, reason: str | None) -> None:
        """Raises the problem that refuses the purpose: prohibited (R7) or not among those this
        agency allows (R6), both 403 purpose-prohibited; no case number in the agency's pattern,
        or no reason where it allows one instead (R5), 422 naming the pattern."""
        if not purpose.prohibited and purpose not in self.allowed_purposes:
            raise PurposeProhibited(
                f"The purpose '{purpose.value}' is not one the agency {self.agency} allows "
                f"(its policy, version {self.policy_version}; R6)."
            )
        check_purpose(
            purpose,
            case_number,
            reason,
            case_number_required=self.case_number_required,
            case_number_pattern=self.case_number_pattern,
        )


async def of_agency(ctx: SearchContext, agency: str) -> SearchRules:
    """The agency's rules in force, as last known (cached 30 s; while sharing cannot be reached
    the last version read, and for an agency never read the defaults)."""
    version = await ctx.policies.version(agency)
    allowed = frozenset(Purpose(p.value) for p in version.policy.search.allowed_purposes)
    # Version 0, an agency that never set a policy (or whose policy was never read): the
    # deployment's settings, whose defaults are the policy's strictest defaults.
    search: SearchPolicy | Settings = version.policy.search if version.version else ctx.settings
    tiers = version.policy.tiers if version.version else ctx.settings.default_tiers
    return SearchRules(
        agency=agency,
        policy_version=version.version,
        case_number_pattern=search.case_number_pattern,
        case_number_required=search.case_number_required,
        max_search_days=search.max_search_days,
        allowed_purposes=allowed,
        tiers=tuple(tiers),
    )


async def require_purpose(
    ctx: SearchContext,
    principal: Principal,
    action: Action,
    **stated: Unpack[PurposeStated],
) -> SearchRules:
    """The purpose gate of a view or a change of one detection, by the caller's agency's rules;
    a refusal is recorded first, with why (R5-R7, issue 16)."""
    rules = await of_agency(ctx, principal.agency)
    async with refusals_recorded(ctx.clients.audit, principal, action, source="search", **stated):
        rules.check(stated["purpose"], stated["case_number"], stated["reason"])
    return rules
