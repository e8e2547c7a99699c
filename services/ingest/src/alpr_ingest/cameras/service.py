"""Camera registration (R1: every device its own identity), audited."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    AfterId,
    Conflict,
    NotFound,
    Page,
    Principal,
    ValidationProblem,
    audit_event,
    decode_cursor,
    encode_cursor,
)

from ..context import IngestContext
from ..storage import now
from . import repository
from .schemas import CameraCreate, CameraPublic, CameraUpdate


async def create(
    ctx: IngestContext, session: AsyncSession, principal: Principal, body: CameraCreate
) -> CameraPublic:
    if await repository.by_client(session, principal.agency, body.client_id) is not None:
        raise Conflict("A camera with this client id is already registered.")
    stamp = now()
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "agency": principal.agency,
        **body.model_dump(mode="json"),
        "created_at": stamp,
        "updated_at": stamp,
    }
    await repository.create(session, row)
    await ctx.ledger.record(
        session,
        audit_event(
            principal,
            Action.CAMERA_CREATED,
            source="ingest",
            targets=[str(row["id"])],
            data={
                "name": body.name,
                "kind": body.kind.value,
                "client_id": body.client_id,
                "status": body.status.value,
            },
        ),
    )
    return CameraPublic.model_validate(row)


async def get(session: AsyncSession, principal: Principal, camera_id: uuid.UUID) -> CameraPublic:
    row = await repository.get(session, principal.agency, camera_id)
    if row is None:
        raise NotFound()
    return CameraPublic.model_validate(dict(row))


async def list_cameras(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> Page[CameraPublic]:
    position = decode_cursor(cursor, AfterId)
    rows = await repository.list_page(
        session, principal.agency, str(position.after) if position else None, limit + 1
    )
    items = [CameraPublic.model_validate(dict(r)) for r in rows[:limit]]
    nxt = encode_cursor(AfterId(after=items[-1].id)) if len(rows) > limit and items else None
    return Page[CameraPublic](items=items, next_cursor=nxt)


async def update(
    ctx: IngestContext, session: AsyncSession, principal: Principal, camera_id: uuid.UUID, body: CameraUpdate
) -> CameraPublic:
    current = await get(session, principal, camera_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if current.kind.value == "mobile" and ({"latitude", "longitude"} & changes.keys()):
        raise Conflict("A mobile camera has no fixed position.")
    if current.kind.value == "fixed" and any(changes.get(k, 0) is None for k in ("latitude", "longitude")):
        raise ValidationProblem("A fixed camera keeps its latitude and longitude.")
    if changes:
        await repository.update_camera(session, principal.agency, camera_id, {**changes, "updated_at": now()})
        await ctx.ledger.record(
            session,
            audit_event(
                principal, Action.CAMERA_UPDATED, source="ingest", targets=[str(camera_id)], data=changes
            ),
        )
    return await get(session, principal, camera_id)
