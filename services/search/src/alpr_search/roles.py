"""The role sets several of the search service's modules admit, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

# Those who look at detections for a stated purpose: they view and correct single detections,
# and ask a supervisor's approval of a search in a warrant-style tier (issue 17).
Investigator = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST))]
