"""The role set the recognition service's route admits, declared once (issue 22)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alpr_common import Principal, Role, require_roles

# Who asks for reads: services, cameras (edge units) and the ALPR administrator (tools).
Caller = Annotated[Principal, Depends(require_roles(Role.SERVICE, Role.CAMERA, Role.ALPR_ADMIN))]
