"""The role sets the sharing service's routes admit, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

from .releases.service import STAFF

# Everyone an agency's policy binds reads it; services read any agency's, to apply it (issue 17).
PolicyReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.OPERATOR, Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR, Role.ALPR_ADMIN,
            Role.COMMANDER, Role.AUDITOR, Role.RECORDS, Role.SERVICE,
        )
    ),
]  # fmt: skip
# Who approves a policy version that loosens a rule (issue 17).
Commander = Annotated[Principal, Depends(require_roles(Role.COMMANDER))]
# Who files a request (R24): a partner for its own agency, records staff on a partner's behalf.
Filer = Annotated[Principal, Depends(require_roles(Role.PARTNER, Role.RECORDS))]
# Who decides a request: a commander; for an exigent one also a supervisor (R25).
Decider = Annotated[Principal, Depends(require_roles(Role.COMMANDER, Role.SUPERVISOR))]
# Who reads requests: the host agency's staff, and a partner its own.
RequestReader = Annotated[Principal, Depends(require_roles(*STAFF, Role.PARTNER))]
# Who receives a release and the shared hotlist (R27, R11).
Partner = Annotated[Principal, Depends(require_roles(Role.PARTNER))]
