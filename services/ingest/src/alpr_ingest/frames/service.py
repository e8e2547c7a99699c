"""Frames: uploads (checked, content-addressed, idempotent, all-or-nothing), views with a
purpose (R5, R7, audited), the recognition work queue with leases and dead letters, and the
retention purge that search drives."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta

import anyio
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    BeforeId,
    ClaimedFrame,
    ClaimRequest,
    ClaimResponse,
    Conflict,
    Forbidden,
    Page,
    Principal,
    ProblemFieldError,
    PurgeRequest,
    PurgeResult,
    ReadsStored,
    ReadsSubmission,
    Statement,
    ValidationProblem,
    audit_event,
    decode_cursor,
    found,
    next_cursor,
    on_rollback,
    require_purpose,
)

from ..cameras import repository as cameras
from ..cameras.repository import CameraRow
from ..context import IngestContext
from ..forms import CameraPosition
from ..reads.service import NewRead, store_read
from ..storage import frame_key, now
from . import repository
from .images import checked_upload, crop_jpeg
from .repository import FrameRow, NewFrame
from .schemas import (
    AgencyOldestFrame,
    FrameAccepted,
    FramePublic,
    FrameStatus,
    OldestFrames,
)


def _bad_time(message: str) -> ValidationProblem:
    return ValidationProblem(message, errors=[ProblemFieldError(loc=["body", "captured_at"], msg=message)])


def check_captured_at(ctx: IngestContext, captured_at: datetime) -> None:
    current = now()
    if captured_at > current + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise _bad_time("The capture time is in the future.")
    # R18: uploads up to 30 days late are accepted; older ones are not.
    if captured_at < current - timedelta(days=ctx.settings.max_upload_age_days):
        raise _bad_time(f"The capture time is more than {ctx.settings.max_upload_age_days} days ago.")


async def authorized_camera(session: AsyncSession, principal: Principal, camera_id: uuid.UUID) -> CameraRow:
    """R1: a device uploads only as the active camera registered to its own client id."""
    camera = await cameras.get(session, principal.agency, camera_id)
    if camera is None or camera.status != "active" or camera.client_id != principal.client_id:
        raise Forbidden("This client is not an active camera registered to your agency under this id.")
    return camera


async def upload(
    ctx: IngestContext,
    session: AsyncSession,
    request: Request,
    principal: Principal,
    position: CameraPosition,
    image: bytes,
) -> tuple[FrameAccepted, bool]:
    """The frame's id and whether it is new. Nothing is stored for bad input; the object is
    removed again if the row does not commit."""
    camera = await authorized_camera(session, principal, position.camera_id)
    check_captured_at(ctx, position.captured_at)
    checked = await anyio.to_thread.run_sync(checked_upload, image, "image", ctx.settings)
    existing = await repository.by_sha(session, camera.id, checked.sha256)
    if existing is not None:
        return FrameAccepted(id=existing.id, status=FrameStatus(existing.status)), False
    key = frame_key(principal.agency, position.captured_at, checked.sha256, checked.ext)
    await ctx.store.put(key, checked.data, checked.content_type)

    async def undo() -> None:
        if not await repository.key_in_use(session, key):
            await ctx.store.delete(key)

    frame_id = uuid.uuid4()
    row = NewFrame(
        id=frame_id,
        agency=principal.agency,
        sha256=checked.sha256,
        object_key=key,
        content_type=checked.content_type,
        width=checked.width,
        height=checked.height,
        size_bytes=len(checked.data),
        status=FrameStatus.QUEUED.value,
        attempts=0,
        created_at=now(),
        **asdict(position),
    )
    if not await repository.insert_frame(session, row):
        # The same image from the same camera, racing this request: one frame.
        raced = await repository.by_sha(session, camera.id, checked.sha256)
        if raced is None:
            raise Conflict("The frame could not be recorded; try again.")
        return FrameAccepted(id=raced.id, status=FrameStatus(raced.status)), False
    on_rollback(request, undo)
    return FrameAccepted(id=frame_id, status=FrameStatus.QUEUED), True


def _public(ctx: IngestContext, row: FrameRow, with_url: bool) -> FramePublic:
    frame = FramePublic.model_validate(row, from_attributes=True)
    if with_url:
        frame.image_url = ctx.store.presign(row.object_key, ctx.settings.presign_seconds)
    return frame


async def view(
    ctx: IngestContext,
    session: AsyncSession,
    principal: Principal,
    frame_id: uuid.UUID,
    stated: Statement,
) -> FramePublic:
    """A frame with a presigned image URL, for a stated purpose (R5); recorded before it is shown."""
    fields = stated.about(str(frame_id))
    await require_purpose(
        ctx.clients.audit,
        principal,
        Action.FRAME_VIEWED,
        source="ingest",
        case_number_required=ctx.settings.case_number_required,
        case_number_pattern=ctx.settings.case_number_pattern,
        **fields,
    )
    row = found(await repository.get(session, principal.agency, frame_id))
    await ctx.clients.audit.record(audit_event(principal, Action.FRAME_VIEWED, source="ingest", **fields))
    return _public(ctx, row, with_url=True)


async def list_frames(
    ctx: IngestContext,
    session: AsyncSession,
    principal: Principal,
    status: FrameStatus | None,
    camera_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[FramePublic]:
    position = decode_cursor(cursor, BeforeId)
    rows = await repository.list_page(
        session,
        principal.agency,
        status.value if status else None,
        camera_id,
        str(position.before) if position else None,
        limit + 1,
    )
    items = [_public(ctx, r, with_url=False) for r in rows[:limit]]
    # Issue 16: a listing shows where and when cameras saw something: on the ledger first.
    await ctx.clients.audit.record(
        audit_event(
            principal,
            Action.FRAME_VIEWED,
            source="ingest",
            targets=[str(i.id) for i in items],
            data={"list": True, "results": len(items)},
        )
    )
    nxt = next_cursor(rows, items, limit, lambda last: BeforeId(before=last.id))
    return Page[FramePublic](items=items, next_cursor=nxt)


async def claim(ctx: IngestContext, session: AsyncSession, body: ClaimRequest) -> ClaimResponse:
    await repository.dead_letter_expired(session, ctx.settings.max_attempts)
    lease = min(body.lease_seconds, ctx.settings.max_lease_seconds)
    rows = await repository.claim(session, body.max, lease)
    presign = max(ctx.settings.presign_seconds, lease)
    return ClaimResponse(
        items=[
            ClaimedFrame(
                frame_id=r.id,
                lease_id=r.lease_id,
                image_url=ctx.store.presign(r.object_key, presign),
                lease_expires_at=r.lease_expires_at,
                agency=r.agency,
                camera_id=r.camera_id,
                captured_at=r.captured_at,
            )
            for r in rows
        ]
    )


def _decode_crop(value: str, index: int) -> bytes:
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationProblem(
            "A crop is not valid base64.",
            errors=[ProblemFieldError(loc=["body", "reads", index, "crop"], msg="not base64")],
        ) from exc
    return data


async def submit_reads(
    ctx: IngestContext, session: AsyncSession, request: Request, frame_id: uuid.UUID, body: ReadsSubmission
) -> ReadsStored:
    """Stores a leased frame's reads and marks it done; a lease no longer held is 409."""
    frame = found(await repository.get(session, None, frame_id, lock=True))
    held = frame.status == "leased" and frame.lease_id == body.lease_id
    if not held or frame.lease_expires_at is None or frame.lease_expires_at < now():
        raise Conflict("The lease on this frame is no longer held; nothing was stored.")
    image: bytes | None = None
    read_ids = []
    for index, read in enumerate(body.reads):
        if read.crop is not None:
            checked = await anyio.to_thread.run_sync(
                checked_upload, _decode_crop(read.crop, index), f"reads.{index}.crop", ctx.settings
            )
            crop = checked.data
        else:
            if image is None:
                image = await ctx.store.get(frame.object_key)
            box = (read.box.x, read.box.y, read.box.w, read.box.h)
            crop = await anyio.to_thread.run_sync(crop_jpeg, image, box)
        read_ids.append(
            await store_read(
                ctx,
                session,
                request,
                NewRead(
                    agency=frame.agency,
                    camera_id=frame.camera_id,
                    captured_at=frame.captured_at,
                    latitude=frame.latitude,
                    longitude=frame.longitude,
                    plate=read.plate,
                    region=read.region,
                    confidence=read.confidence,
                    source="recognition",
                    crop_jpeg=crop,
                    box=read.box,
                    region_confidence=read.region_confidence,
                    candidates=[c.model_dump() for c in read.candidates],
                    vehicle=dict(read.vehicle),
                    frame_id=frame_id,
                    frame_key=frame.object_key,
                    model_version=read.model_version,
                ),
            )
        )
    await repository.finish(session, frame_id, now())
    return ReadsStored(frame_id=frame_id, read_ids=read_ids)


async def oldest_frames(session: AsyncSession) -> OldestFrames:
    """R16: every agency with frames or reads and its oldest capture time, so that the retention
    purge reaches an agency whose frames never produced a read (it has no detection to expire),
    and reads kept for a hit's crop once the hit is gone (issue 17)."""
    oldest = await repository.oldest_by_agency(session)
    return OldestFrames(
        items=[AgencyOldestFrame(agency=agency, oldest_captured_at=at) for agency, at in oldest.items()]
    )


async def purge(
    ctx: IngestContext, session: AsyncSession, principal: Principal, body: PurgeRequest
) -> PurgeResult:
    """Deletes frames and reads captured before the cut-off, and their objects, except the keys
    on legal hold (R16, R17). Objects go first: a failure leaves rows to retry, never rows
    pointing at nothing that a later purge would miss.

    A crop in ``keep_crops`` (a confirmed hit's that keeps its crop, R14, issue 17) keeps its read
    and the crop, not the frame: once the hit is purged its key is no longer sent, and the next
    purge deletes the read and the crop."""
    keep = set(body.keep_keys)
    crops = set(body.keep_crops)
    frame_rows, read_rows = await repository.purge_candidates(session, body.agency, body.captured_before)
    held_frames = {r.id for r in frame_rows if r.object_key in keep}
    held_frames |= {r.frame_id for r in read_rows if r.crop_key in keep and r.frame_id}
    gone_frames = [r for r in frame_rows if r.id not in held_frames]
    gone_reads = [r for r in read_rows if r.crop_key not in keep and r.crop_key not in crops]
    keep |= crops
    keys = {r.object_key for r in gone_frames} | {r.crop_key for r in gone_reads if r.crop_key}
    for key in sorted(keys - keep):
        await ctx.store.delete(key)
    await repository.delete_rows(session, [r.id for r in gone_frames], [r.id for r in gone_reads])
    result = PurgeResult(frames=len(gone_frames), reads=len(gone_reads), objects=len(keys - keep))
    data = {
        "captured_before": body.captured_before.isoformat(),
        **result.model_dump(),
        "held": len(keep - crops),
        "hit_crops_kept": len(crops),
    }
    await ctx.clients.audit.record(
        audit_event(principal, Action.FRAME_PURGED, source="ingest", agency=body.agency, data=data)
    )
    return result
