"""The role sets the audit service's routes admit beyond the agency's auditor
(``auditors.AgencyAuditorPrincipal``), declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

from .auditors import require_agency_auditor

# Who signs the ledger's head on demand: an auditor, or a service on its schedule.
CheckpointMaker = Annotated[Principal, Depends(require_agency_auditor(Role.SERVICE))]
# Who generates the SB 34 report (R23).
Reporter = Annotated[Principal, Depends(require_roles(Role.AUDITOR, Role.ALPR_ADMIN))]
