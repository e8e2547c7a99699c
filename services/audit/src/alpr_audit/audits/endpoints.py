"""``/v1/audits``: periodic sample audits of detection browsing (R21)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from alpr_common import (
    Action,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    view,
)

from ..auditors import AgencyAuditorPrincipal
from ..context import Ctx
from . import service
from .memo_pdf import render_pdf
from .schemas import AuditCreate, AuditMemo, AuditOut, AuditStatus, FindingIn

router = APIRouter(tags=["sample audits"])


@router.post("/v1/audits", **change(Action.AUDIT_CREATED, status=201, refuses=(AuditUnavailable,)))
async def create_audit(
    ctx: Ctx, session: DbSession, principal: AgencyAuditorPrincipal, body: AuditCreate
) -> AuditOut:
    """Draws a random sample of detection-browsing searches from the preceding six months."""
    return await service.create(ctx, await session.connection(), principal, body.size)


@router.get("/v1/audits", **view(Action.LEDGER_QUERIED, refuses=(AuditUnavailable,)))
async def list_audits(
    ctx: Ctx,
    session: DbSession,
    principal: AgencyAuditorPrincipal,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[
        AuditStatus | None,
        Query(description="`open`, `complete`, or `overdue`: open past its due date (R35)."),
    ] = None,
) -> Page[AuditOut]:
    """The agency's sample audits, newest first."""
    return await service.list_audits(ctx, await session.connection(), principal, limit, cursor, status)


@router.get("/v1/audits/{audit_id}", **view(Action.LEDGER_QUERIED, refuses=(NotFound, AuditUnavailable)))
async def get_audit(
    ctx: Ctx, session: DbSession, principal: AgencyAuditorPrincipal, audit_id: uuid.UUID
) -> AuditOut:
    """An audit's sampled searches, findings, progress, and data kept past six months."""
    return await service.get(ctx, await session.connection(), principal, audit_id)


@router.post(
    "/v1/audits/{audit_id}/findings",
    **change(Action.AUDIT_FINDING_RECORDED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def record_finding(
    ctx: Ctx, session: DbSession, principal: AgencyAuditorPrincipal, audit_id: uuid.UUID, body: FindingIn
) -> AuditOut:
    """Records the auditor's finding (compliant or non-compliant, with a note) on one search."""
    return await service.record_finding(ctx, await session.connection(), principal, audit_id, body)


PDF = "application/pdf"


@router.get(
    "/v1/audits/{audit_id}/memo",
    response_model=AuditMemo,
    **view(
        Action.LEDGER_QUERIED,
        refuses=(NotFound, Conflict, AuditUnavailable),
        responses={200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}},
    ),
)
async def get_audit_memo(
    ctx: Ctx,
    session: DbSession,
    principal: AgencyAuditorPrincipal,
    audit_id: uuid.UUID,
    fmt: Annotated[
        Literal["json", "pdf"] | None,
        Query(
            alias="format",
            description="`pdf` or `json`; without it, `Accept: application/pdf` asks for the PDF.",
        ),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> AuditMemo | Response:
    """The memo a complete audit ends with (R35): findings, data errors to correct, who audited,
    the sample and the dates; JSON, or PDF with `?format=pdf` or `Accept: application/pdf`."""
    pdf = fmt == "pdf" or (fmt is None and PDF in (accept or ""))
    memo = await service.memo(ctx, await session.connection(), principal, audit_id, "pdf" if pdf else "json")
    if not pdf:
        return memo
    return Response(
        render_pdf(memo),
        media_type=PDF,
        headers={"Content-Disposition": f'attachment; filename="audit-memo-{memo.agency}-{audit_id}.pdf"'},
    )
