"""Legal holds (R17): held detections are copied whole and survive retention with their images;
an evidence package (detections as JSON and CSV, their images, a manifest with the SHA-256 of
every file, who exported and when) goes to the object store for booking into evidence."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import Action, Conflict, NotFound, Principal, ValidationProblem, actor_of, found

from ..context import SearchContext
from ..detections import repository as detections
from ..detections.schemas import DetectionPublic
from ..searches import service as searches
from ..searches.repository import find as find_detections
from ..searches.schemas import SearchRequest
from . import repository
from .repository import HeldItem, HoldRow
from .schemas import MAX_HELD, ExportOut, HoldCreate, HoldPublic, evidence_key
from .verify import MANIFEST

# A held detection's snapshot fields that it shows as itself and lists in the package's CSV.
SNAPSHOT_FIELDS = (
    "id",
    "plate",
    "plate_corrected",
    "region",
    "confidence",
    "captured_at",
    "camera_id",
    "latitude",
    "longitude",
)


def _item_public(ctx: SearchContext, item: HeldItem) -> DetectionPublic:
    snapshot = item.detection
    return DetectionPublic(
        **{k: snapshot.get(k) for k in SNAPSHOT_FIELDS},
        vehicle={k: str(v) for k, v in (snapshot.get("vehicle") or {}).items()},
        crop_url=ctx.presign(item.crop_key),
        frame_url=ctx.presign(item.frame_key),
    )


async def create(
    ctx: SearchContext, session: AsyncSession, principal: Principal, body: HoldCreate
) -> HoldPublic:
    rows = await detections.of_agency(session, principal.agency, body.detection_ids)
    if len({r.id for r in rows}) != len(set(body.detection_ids)):
        raise NotFound()  # R27: another agency's detection is simply not there
    criteria: SearchRequest | None = None
    found_ids: list[str] = []
    if body.search is not None:
        # A hold by search is a search (issue 16, R5-R8): the same checks, refusals recorded.
        criteria = SearchRequest.model_validate(
            {
                **body.search.model_dump(by_alias=True, exclude_none=True),
                "case_number": body.case_number,
                "reason": body.reason,
            }
        )
        allowed = await searches.authorize(ctx, principal, criteria, extra={"hold": True}, session=session)
        agency = allowed.agency
        matched = await find_detections(session, agency, criteria, None, MAX_HELD + 1)
        if len(matched) > MAX_HELD:
            raise ValidationProblem(f"The search finds more than {MAX_HELD} detections; narrow it.")
        found_ids = [str(r.id) for r in matched]
        known = {r.id for r in rows}
        rows += [r for r in matched if r.id not in known]
    if not rows:
        raise ValidationProblem("The search finds no detection to hold.")
    hold_id = uuid.uuid4()
    now = datetime.now(UTC)
    await repository.insert_hold(
        session,
        HoldRow(
            id=hold_id,
            agency=principal.agency,
            case_number=body.case_number,
            reason=body.reason,
            holder=actor_of(principal).model_dump(),
            created_at=now,
        ),
        [
            HeldItem(
                hold_id=hold_id,
                detection_id=r.id,
                captured_at=r.captured_at,
                crop_key=r.crop_key,
                frame_key=r.frame_key,
                detection=json.loads(json.dumps(asdict(r), default=str)),
            )
            for r in rows
        ],
    )
    if criteria is not None:
        # The search is a view: on the ledger before its results leave (fail closed).
        fields = searches.recorded_fields(criteria)
        await ctx.record_now(
            principal,
            Action.SEARCH_EXECUTED,
            targets=found_ids[:1000],
            **{
                **fields,
                "data": {**fields["data"], "hold_id": str(hold_id), "results": len(found_ids)},
            },
        )
    # The hold is a change: its event commits with it (issue 16).
    await ctx.ledger.record_change(
        session,
        principal,
        Action.HOLD_CREATED,
        case_number=body.case_number,
        reason=body.reason,
        targets=[str(hold_id), *[str(r.id) for r in rows[:999]]],  # the ledger takes 1,000 targets
        data={
            "detections": len(rows),
            "search": body.search.model_dump(mode="json", by_alias=True) if body.search else None,
        },
    )
    return await get(ctx, session, principal, hold_id)


async def view(
    ctx: SearchContext, session: AsyncSession, principal: Principal, hold_id: uuid.UUID
) -> HoldPublic:
    """A hold with its held detections and their image URLs: recorded before it leaves
    (issue 16: no record, no data)."""
    hold = await get(ctx, session, principal, hold_id)
    await ctx.record_now(
        principal,
        Action.HOLD_VIEWED,
        case_number=hold.case_number,
        targets=[str(hold_id), *(str(i.id) for i in hold.items[:999])],
        data={"detections": len(hold.items)},
    )
    return hold


async def get(
    ctx: SearchContext, session: AsyncSession, principal: Principal, hold_id: uuid.UUID
) -> HoldPublic:
    hold = found(await repository.get(session, principal.agency, hold_id))
    items = await repository.items(session, hold_id)
    return HoldPublic(**dict(hold), items=[_item_public(ctx, item) for item in items])


async def release(
    ctx: SearchContext, session: AsyncSession, principal: Principal, hold_id: uuid.UUID
) -> HoldPublic:
    current = await get(ctx, session, principal, hold_id)
    if current.released_at is not None:
        raise Conflict("The hold is already released.")
    await repository.release(session, hold_id, datetime.now(UTC), actor_of(principal).model_dump())
    await ctx.ledger.record_change(
        session,
        principal,
        Action.HOLD_RELEASED,
        case_number=current.case_number,
        targets=[str(hold_id)],
    )
    return await get(ctx, session, principal, hold_id)


async def held_keys(conn: AsyncSession | AsyncConnection, agency: str) -> list[str]:
    """Object keys under an active hold: retention keeps them (R17). A released hold's are not
    among them: they expire with the agency's period (issue 17)."""
    return await repository.held_keys(conn, agency)


def _package(
    hold: HoldPublic, snapshots: list[dict[str, Any]], images: dict[str, bytes], exported_by: dict[str, Any]
) -> bytes:
    files: dict[str, bytes] = {}
    files["detections.json"] = json.dumps(snapshots, indent=1, sort_keys=True, default=str).encode()
    out = io.StringIO()
    columns = [*SNAPSHOT_FIELDS, "crop_key", "frame_key"]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(snapshots)
    files["detections.csv"] = out.getvalue().encode()
    for key, data in images.items():
        files[f"images/{key}"] = data
    manifest = {
        "format": "alpr-evidence/v1",
        "hold_id": str(hold.id),
        "agency": hold.agency,
        "case_number": hold.case_number,
        "reason": hold.reason,
        "exported_by": exported_by,
        "exported_at": datetime.now(UTC).isoformat(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    return buffer.getvalue()


async def export(
    ctx: SearchContext, session: AsyncSession, principal: Principal, hold_id: uuid.UUID
) -> ExportOut:
    hold = await get(ctx, session, principal, hold_id)
    items = await repository.items(session, hold_id)
    snapshots = [item.detection for item in items]
    store, bucket = ctx.store, ctx.settings.s3_bucket

    def fetch(key: str) -> bytes | None:
        try:
            resp = store.get_object(bucket, key)
        except Exception:  # noqa: BLE001 - an image that is gone is listed as missing in the manifest
            return None
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    images: dict[str, bytes] = {}
    for item in items:
        for key in (item.crop_key, item.frame_key):
            if key and key not in images:
                data = await anyio.to_thread.run_sync(fetch, key)
                if data is not None:
                    images[key] = data
    package = await anyio.to_thread.run_sync(
        _package, hold, snapshots, images, actor_of(principal).model_dump()
    )
    key = evidence_key(hold.agency, hold.id, datetime.now(UTC))
    await anyio.to_thread.run_sync(
        lambda: store.put_object(
            bucket, key, io.BytesIO(package), len(package), content_type="application/zip"
        )
    )
    digest = hashlib.sha256(package).hexdigest()
    await ctx.record_now(
        principal,
        Action.HOLD_EXPORTED,
        case_number=hold.case_number,
        targets=[str(hold.id)],
        data={"key": key, "sha256": digest, "detections": len(snapshots), "images": len(images)},
    )
    return ExportOut(
        hold_id=hold.id, key=key, url=ctx.presign(key) or "", sha256=digest, files=len(images) + 3
    )
