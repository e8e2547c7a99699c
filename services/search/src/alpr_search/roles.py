"""The role sets the search service's routes admit, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

# Those who look at detections for a stated purpose: they view and correct single detections,
# and ask a supervisor's approval of a search in a warrant-style tier (issue 17).
Investigator = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST))]
# Those who search the agency's detections (R5-R8); ``service`` for other services' searches.
Searcher = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST, Role.SERVICE))]
# Those who see search requests: a supervisor all of the agency's, the others their own.
RequestViewer = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR))]
# Who decides a search request (issue 17).
Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
# Who puts detections on legal hold and exports them (R17).
Holder = Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.SUPERVISOR, Role.RECORDS))]
# Who reads the agency's retention setting (R16).
SettingsReader = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN, Role.AUDITOR, Role.SUPERVISOR))]
