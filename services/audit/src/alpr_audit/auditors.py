"""Who may use the audit service's auditor functions: the agency's own policy says (issue 17,
R21, R35). By default a unit other than the administrators (San Jose): a token holding both
``auditor`` and ``alpr_admin`` is refused. Where the policy names the ALPR administrator as the
auditor (San Leandro 418.6(c)), the agency's ``alpr_admin`` may audit too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from alpr_common import (
    AUTHENTICATOR_ATTR,
    Forbidden,
    Principal,
    Role,
    authenticate,
    check_training,
)
from alpr_common import (
    Auditor as PolicyAuditor,
)

from .context import AuditContext, get_context


def require_agency_auditor(*also: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting a trained (R2) ``auditor`` (or one of ``also``), judged by the
    caller's agency's policy: separation of duties (R21) where the auditor is a separate unit,
    the ALPR administrator admitted where the policy makes it the auditor (R35). The policy is
    read (cached, last known when sharing is down, strictest by default) only for a token that
    holds ``alpr_admin``."""
    allowed = frozenset({str(Role.AUDITOR), *(str(r) for r in also)})

    async def dependency(
        principal: Annotated[Principal, Depends(authenticate)],
        ctx: Annotated[AuditContext, Depends(get_context)],
    ) -> Principal:
        check_training(principal)
        admin = Role.ALPR_ADMIN in principal.roles
        who = (await ctx.policies.policy(principal.agency)).audits.auditor if admin else None
        if not principal.roles.isdisjoint(allowed):
            # R21: a separate unit audits; an administrator's token may not audit as well.
            if admin and Role.AUDITOR in principal.roles and who is PolicyAuditor.SEPARATE_UNIT:
                raise Forbidden(
                    "A token holding both auditor and alpr_admin may not use auditor functions (R21)."
                )
            return principal
        if who is PolicyAuditor.ALPR_ADMINISTRATOR:
            return principal  # R35: San Leandro's audits are done by the ALPR administrator
        raise Forbidden(f"This action needs one of the roles: {', '.join(sorted(allowed))}.")

    # The marker tells preflight and the route tests what the route admits without a policy:
    # the auditor roles, separation of duties applied (the strictest reading).
    setattr(dependency, AUTHENTICATOR_ATTR, (allowed, True))
    dependency.__name__ = f"require_agency_auditor_{'_'.join(sorted(allowed))}"
    return dependency


# The auditor functions of the audit service (ledger, checkpoints, sample audits and memos).
AgencyAuditorPrincipal = Annotated[Principal, Depends(require_agency_auditor())]
