"""Camera registration (R1: every device its own identity), audited."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import (
    Action,
    AfterId,
    Conflict,
    Page,
    Principal,
    ValidationProblem,
    decode_cursor,
    found,
    page_of,
)

from ..context import IngestContext
from ..settings import Settings
from ..storage import now
from . import health, health_repository, repository
from .health_repository import CameraCheckRow
from .repository import CameraRow
from .schemas import (
    CameraCheckIn,
    CameraCheckPublic,
    CameraCreate,
    CameraHealth,
    CameraHealthList,
    CameraKind,
    CameraPublic,
    CameraUpdate,
    CheckResult,
    HealthState,
)


async def create(
    ctx: IngestContext, session: AsyncSession, principal: Principal, body: CameraCreate
) -> CameraPublic:
    if await repository.by_client(session, principal.agency, body.client_id) is not None:
        raise Conflict("A camera with this client id is already registered.")
    stamp = now()
    # The body's fields are the row's own, its vocabularies as their column values.
    row = CameraRow(
        id=uuid.uuid4(),
        agency=principal.agency,
        **body.model_dump(mode="json"),
        created_at=stamp,
        updated_at=stamp,
    )
    await repository.create(session, row)
    data = body.model_dump(mode="json", include={"name", "kind", "client_id", "status"})
    await ctx.ledger.record_change(
        session, principal, Action.CAMERA_CREATED, targets=[str(row.id)], data=data
    )
    return _public(row)


def _public(row: CameraRow) -> CameraPublic:
    return CameraPublic.model_validate(row, from_attributes=True)


async def get(session: AsyncSession, principal: Principal, camera_id: uuid.UUID) -> CameraPublic:
    row = found(await repository.get(session, principal.agency, camera_id))
    return _public(row)


async def list_cameras(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> Page[CameraPublic]:
    position = decode_cursor(cursor, AfterId)
    rows = await repository.list_page(
        session, principal.agency, str(position.after) if position else None, limit + 1
    )
    return page_of(rows, limit, _public, lambda last: AfterId(after=last.id))


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
        await ctx.ledger.record_change(
            session, principal, Action.CAMERA_UPDATED, targets=[str(camera_id)], data=changes
        )
    return await get(session, principal, camera_id)


async def health_table(
    conn: AsyncConnection | AsyncSession, agency: str, settings: Settings
) -> CameraHealthList:
    """Every camera of the agency with its state (issue 20: the shift check's table)."""
    stamp = now()
    cameras = []
    for row in await health_repository.activity(conn, agency, stamp):
        judged = health.judge(
            health.Activity(
                active=row.status == "active",
                expected_interval_s=row.expected_interval_s,
                last_frame_at=row.last_frame_at,
                last_read_at=row.last_read_at,
                frames_day=row.frames_done_day,
                frames_with_reads_day=row.frames_with_reads_day,
                reads_day=row.reads_day,
                frames_week=row.frames_done_week,
                frames_with_reads_week=row.frames_with_reads_week,
                reads_week=row.reads_week,
            ),
            stamp,
            quiet_after_s=settings.camera_quiet_after_s,
            offline_after_s=settings.camera_offline_after_s,
        )
        without_read = None if judged.read_share_day is None else 1 - judged.read_share_day
        norm = None if judged.read_share_norm is None else 1 - judged.read_share_norm
        cameras.append(
            CameraHealth(
                camera_id=row.id,
                name=row.name,
                kind=CameraKind(row.kind),
                state=judged.state,
                last_frame_at=row.last_frame_at,
                last_read_at=row.last_read_at,
                silent_s=judged.silent_s,
                expected_interval_s=judged.expected_interval_s,
                expected_interval_learned=judged.learned,
                frames_per_hour=row.frames_day / 24,
                reads_per_hour=row.reads_day / 24,
                frames_without_read=without_read,
                frames_without_read_norm=norm,
                model_version=row.model_version,
                clock_skew_s=row.clock_skew_s,
                last_check_at=row.last_check_at,
                last_check_by=row.last_check_by,
                last_check_result=CheckResult(row.last_check_result) if row.last_check_result else None,
            )
        )
    counts = {state: sum(1 for c in cameras if c.state == state) for state in HealthState}
    return CameraHealthList(checked_at=stamp, counts=counts, cameras=cameras)


async def record_check(
    ctx: IngestContext, session: AsyncSession, principal: Principal, camera_id: uuid.UUID, body: CameraCheckIn
) -> CameraCheckPublic:
    """A shift check (002, Alameda 462.3(b)4): stored, and on the ledger in the same
    transaction (issue 16)."""
    await get(session, principal, camera_id)  # the agency's camera, or 404 (R27)
    check = CameraCheckPublic(
        id=uuid.uuid4(),
        camera_id=camera_id,
        result=body.result,
        note=body.note,
        checked_by=principal.name or principal.sub,
        checked_at=now(),
    )
    await health_repository.add_check(
        session,
        CameraCheckRow(
            id=check.id,
            agency=principal.agency,
            camera_id=camera_id,
            result=check.result.value,
            note=check.note,
            checked_by=principal.sub,
            checked_by_name=check.checked_by,
            checked_at=check.checked_at,
        ),
    )
    await ctx.ledger.record_change(
        session,
        principal,
        Action.CAMERA_CHECKED,
        targets=[str(camera_id)],
        data={"result": check.result.value, "check_id": str(check.id), "noted": check.note is not None},
    )
    return check
