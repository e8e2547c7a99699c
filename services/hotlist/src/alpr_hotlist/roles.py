"""The role sets the hotlist service's routes admit, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

# The alert roles and the ALPR administrator: they read the hotlists, enter and read their
# entries (R9, R12), and read the alerts (R13).
HOTLIST_STAFF = (Role.OPERATOR, Role.INVESTIGATOR, Role.SUPERVISOR, Role.ALPR_ADMIN)
HotlistStaff = Annotated[Principal, Depends(require_roles(*HOTLIST_STAFF))]
# Those who move an alert through its states (R13).
Officer = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.INVESTIGATOR, Role.SUPERVISOR))]
# Those who approve or reject an entry or its change (R12).
Approver = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ALPR_ADMIN))]
