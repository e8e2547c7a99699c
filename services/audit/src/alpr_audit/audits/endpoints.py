"""``/v1/audits``: periodic sample audits of detection browsing (R21)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from alpr_common import (
    Access,
    Action,
    AuditorPrincipal,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    Forbidden,
    Limit,
    NotFound,
    Page,
    TrainingRequired,
    Unauthenticated,
    ValidationProblem,
    access,
    problem_responses,
)

from ..context import Ctx
from . import service
from .schemas import AuditCreate, AuditOut, FindingIn

router = APIRouter(tags=["sample audits"])
Auditor = AuditorPrincipal
_errors = (Unauthenticated, TrainingRequired, Forbidden, AuditUnavailable)


@router.post(
    "/v1/audits",
    response_model=AuditOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*_errors, ValidationProblem),
    openapi_extra=access(Access.CHANGE, Action.AUDIT_CREATED),
)
async def create_audit(ctx: Ctx, session: DbSession, principal: Auditor, body: AuditCreate) -> AuditOut:
    """Draws a random sample of detection-browsing searches from the preceding six months."""
    return await service.create(ctx, await session.connection(), principal, body.size)


@router.get(
    "/v1/audits",
    response_model=Page[AuditOut],
    responses=problem_responses(*_errors),
    openapi_extra=access(Access.VIEW, Action.LEDGER_QUERIED),
)
async def list_audits(
    ctx: Ctx, session: DbSession, principal: Auditor, limit: Limit = 50, cursor: Cursor = None
) -> Page[AuditOut]:
    """The agency's sample audits, newest first."""
    return await service.list_audits(ctx, await session.connection(), principal, limit, cursor)


@router.get(
    "/v1/audits/{audit_id}",
    response_model=AuditOut,
    responses=problem_responses(*_errors, NotFound),
    openapi_extra=access(Access.VIEW, Action.LEDGER_QUERIED),
)
async def get_audit(ctx: Ctx, session: DbSession, principal: Auditor, audit_id: uuid.UUID) -> AuditOut:
    """An audit's sampled searches, findings, progress, and data kept past six months."""
    return await service.get(ctx, await session.connection(), principal, audit_id)


@router.post(
    "/v1/audits/{audit_id}/findings",
    response_model=AuditOut,
    responses=problem_responses(*_errors, NotFound, Conflict, ValidationProblem),
    openapi_extra=access(Access.CHANGE, Action.AUDIT_FINDING_RECORDED),
)
async def record_finding(
    ctx: Ctx, session: DbSession, principal: Auditor, audit_id: uuid.UUID, body: FindingIn
) -> AuditOut:
    """Records the auditor's finding (compliant or non-compliant, with a note) on one search."""
    return await service.record_finding(ctx, await session.connection(), principal, audit_id, body)
