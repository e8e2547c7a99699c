"""``GET /v1/hits:crops?agency=`` (role ``service``: search's detection purge): the crop keys of
the agency's confirmed hits still kept, so that their plate crops outlive their detections where
the agency's policy says hits keep their crop (R14, issue 17). Keys only, no image and no URL:
the purge passes them to ingest, which keeps those objects; once a hit is purged here its key is
no longer named, and the next detection purge deletes the crop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alpr_common import DbSession, HitCrops, ServicePrincipal, machine

from . import retention

router = APIRouter(tags=["alerts"])


@router.get(
    "/v1/hits:crops",
    response_model=HitCrops,
    **machine(),
)
async def hit_crops(
    session: DbSession,
    principal: ServicePrincipal,
    agency: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,32}$")],
) -> HitCrops:
    """Internal: the crop keys of the agency's kept confirmed hits (R14, issue 17)."""
    return await retention.kept_hit_crops(session, agency)
