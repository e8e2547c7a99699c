"""``GET /v1/stats?agency=``, as every owning service scopes it: aggregate counts for one agency,
for a service (audit's reports) about any agency, for auditors and administrators about their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from ._auth import require_roles
from ._problems import NotFound
from ._roles import Role
from ._tokens import Principal


async def stats_agency(
    principal: Annotated[Principal, Depends(require_roles(Role.SERVICE, Role.AUDITOR, Role.ALPR_ADMIN))],
    agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$")],
) -> str:
    """The agency whose counts are asked for; another agency's are 404 to a person (R27)."""
    if not principal.has_any(Role.SERVICE) and agency != principal.agency:
        raise NotFound()
    return agency


StatsAgency = Annotated[str, Depends(stats_agency)]
