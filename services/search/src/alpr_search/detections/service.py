"""The detection store: batch intake from ingest (idempotent on the read id) and single views
with a purpose (R5), recorded on the ledger first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Accepted,
    Action,
    DetectionBatch,
    Principal,
    ProblemFieldError,
    PurposeStated,
    Statement,
    ValidationProblem,
    found,
    normalize_plate,
)

from ..agency import service as agency
from ..context import SearchContext
from ..searches import rules
from . import repository
from .repository import DetectionRow
from .schemas import CorrectionIn, CorrectionsBySource, DetectionPublic, RetainedBeyond, SearchStats


def public(ctx: SearchContext, row: DetectionRow) -> DetectionPublic:
    """A stored detection as investigators see it. Built without validating again what the
    store's typed columns already are (``model_construct``): a search answers up to 500 of them,
    and this is search's own cost per result (issue 16)."""
    return DetectionPublic.model_construct(
        id=row.id,
        plate=row.plate,
        plate_corrected=row.plate_corrected,
        region=row.region,
        confidence=row.confidence,
        captured_at=row.captured_at,
        camera_id=row.camera_id,
        latitude=row.latitude,
        longitude=row.longitude,
        vehicle={k: str(v) for k, v in (row.vehicle or {}).items()},
        crop_url=ctx.presign(row.crop_key),
        frame_url=ctx.presign(row.frame_key),
        state_match=None,
    )


# The capture times the store files: a day partition exists for each. Outside them (year 1, or
# 9999, which the driver sends as -infinity/infinity and no partition holds) a detection is
# refused with 422 rather than failing the insert (issue 19); ingest only sends recent ones.
EARLIEST_CAPTURE = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CAPTURE_AHEAD = timedelta(days=1)


def _check_capture_times(batch: DetectionBatch, now: datetime) -> None:
    bad = [
        ProblemFieldError(loc=["body", "detections", i, "captured_at"], msg="capture time out of range")
        for i, d in enumerate(batch.detections)
        if not EARLIEST_CAPTURE <= d.captured_at <= now + MAX_CAPTURE_AHEAD
    ]
    if bad:
        raise ValidationProblem("A capture time is before 1970 or more than a day ahead.", errors=bad)


async def ingest_batch(session: AsyncSession, batch: DetectionBatch) -> Accepted:
    now = datetime.now(UTC)
    _check_capture_times(batch, now)
    # Stored as ingest sent them (R15), but for the plate (normalized) and the state (upper case).
    rows = [
        DetectionRow(
            **d.model_dump(exclude={"plate", "region"}),
            plate=normalize_plate(d.plate),
            plate_corrected=None,
            region=d.region.upper() if d.region != "unknown" else "unknown",
            created_at=now,
        )
        for d in batch.detections
    ]
    await repository.ensure_partitions(session, {r.captured_at.astimezone(UTC).date() for r in rows})
    await repository.insert_batch(session, rows)
    return Accepted(accepted=len(rows))


async def view(
    ctx: SearchContext,
    session: AsyncSession,
    principal: Principal,
    detection_id: uuid.UUID,
    stated: Statement,
) -> DetectionPublic:
    fields = stated.about(str(detection_id))
    await rules.require_purpose(ctx, principal, Action.DETECTION_VIEWED, **fields)
    row = found(await repository.get(session, principal.agency, detection_id))
    await ctx.record_now(principal, Action.DETECTION_VIEWED, data={"plate": row.plate}, **fields)
    return public(ctx, row)


async def stats(ctx: SearchContext, session: AsyncSession, agency_id: str) -> SearchStats:
    six_months = datetime.now(UTC) - timedelta(days=183)
    total, older = await repository.counts(session, agency_id, six_months)
    days = (await agency.retention_by_agency(session)).get(agency_id, ctx.settings.retention_days)
    by_source = await repository.corrections_by_source(session, agency_id)
    return SearchStats(
        agency=agency_id,
        detections_in_retention=total,
        retained_beyond_six_months=RetainedBeyond(
            count=older, why=f"the agency's retention period is {days} days (R16)"
        ),
        corrections_by_source=[
            CorrectionsBySource.model_validate(r, from_attributes=True) for r in by_source
        ],
    )


async def correct(
    ctx: SearchContext,
    session: AsyncSession,
    principal: Principal,
    detection_id: uuid.UUID,
    body: CorrectionIn,
) -> DetectionPublic:
    """R19: the corrected plate is kept beside the read as made; both are on the ledger. A
    correction refused for its purpose is recorded too, with why (R7, issue 16)."""
    fields = PurposeStated(
        purpose=body.purpose, case_number=body.case_number, reason=body.reason, targets=[str(detection_id)]
    )
    await rules.require_purpose(ctx, principal, Action.DETECTION_CORRECTED, **fields)
    row = found(await repository.get(session, principal.agency, detection_id))
    corrected = normalize_plate(body.plate)
    if not corrected:
        raise ValidationProblem("The corrected plate has no letters or digits.")
    await repository.set_correction(session, principal.agency, detection_id, corrected)
    await ctx.ledger.record_change(
        session,
        principal,
        Action.DETECTION_CORRECTED,
        **fields,
        data={
            "plate": row.plate,
            "original_plate": row.plate,
            "previous_correction": row.plate_corrected,
            "corrected_plate": corrected,
            "note": body.note,
        },
    )
    if row.plate_corrected is None:  # R22: a misread counts once, however often it is re-corrected
        ctx.corrections.count(row.model_version)
    updated = await repository.get(session, principal.agency, detection_id)
    assert updated is not None
    return public(ctx, updated)
