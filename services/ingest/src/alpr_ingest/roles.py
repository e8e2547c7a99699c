"""The role sets the ingest service's routes admit, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

# Who runs the shift check of the equipment (002, Alameda 462.3(b)4).
Checker = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN, Role.OPERATOR))]
# Who views a frame for a stated purpose.
FrameViewer = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST, Role.ALPR_ADMIN))]
