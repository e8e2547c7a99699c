"""The role sets several of the hotlist service's modules admit, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

# The alert roles and the ALPR administrator: they read the hotlists, enter and read their
# entries (R9, R12), and read the alerts (R13).
HOTLIST_STAFF = (Role.OPERATOR, Role.INVESTIGATOR, Role.SUPERVISOR, Role.ALPR_ADMIN)
HotlistStaff = Annotated[Principal, Depends(require_roles(*HOTLIST_STAFF))]
