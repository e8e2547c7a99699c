"""``/v1/agencies/{ori}/policy``: the agency's own rules, versioned (issue 17)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from alpr_common import (
    Action,
    AdminPrincipal,
    AgencyPolicyVersion,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    change,
    read,
)

from ..agencies.schemas import ORI_PATTERN
from ..context import Ctx
from ..roles import Commander, PolicyReader
from . import service
from .schemas import PolicyChange, PolicyDecision, PolicyRejection

router = APIRouter(tags=["agency policy"])
Ori = Annotated[str, Path(pattern=ORI_PATTERN)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
_DECISION_REFUSES = (NotFound, Conflict, AuditUnavailable)


@router.get("/v1/agencies/{ori}/policy", **read(refuses=(NotFound,)))
async def get_agency_policy(
    ctx: Ctx,
    session: DbSession,
    principal: PolicyReader,
    ori: Ori,
    at: Annotated[AwareDatetime | None, Query(description="A past or future time; default now.")] = None,
) -> AgencyPolicyVersion:
    """The agency's policy in force now (or at `at`); version 0, the defaults, when none was."""
    return await service.current(ctx, session, principal, ori, at)


@router.get("/v1/agencies/{ori}/policy/versions", **read(refuses=(NotFound,)))
async def list_agency_policy_versions(
    session: DbSession, principal: PolicyReader, ori: Ori, cursor: Cursor = None, limit: Limit = 50
) -> Page[AgencyPolicyVersion]:
    """Every version of the agency's policy, newest first, with its status and history (R40)."""
    return await service.versions(session, principal, ori, cursor, limit)


@router.get("/v1/agencies/{ori}/policy/versions/{version}", **read(refuses=(NotFound,)))
async def get_agency_policy_version(
    session: DbSession, principal: PolicyReader, ori: Ori, version: Version
) -> AgencyPolicyVersion:
    """One version of the agency's policy."""
    return await service.version(session, principal, ori, version)


@router.put(
    "/v1/agencies/{ori}/policy", **change(Action.AGENCY_POLICY_PROPOSED, refuses=(NotFound, AuditUnavailable))
)
async def put_agency_policy(
    ctx: Ctx, session: DbSession, principal: AdminPrincipal, ori: Ori, body: PolicyChange
) -> AgencyPolicyVersion:
    """A new version of the caller's agency's policy, by its `alpr_admin`: one that loosens a
    rule waits for a commander's approval (`pending_approval`); any other takes force at its
    `effective_from` (`scheduled` until then, published for comment). Audited."""
    return await service.propose(ctx, session, principal, ori, body)


@router.post(
    "/v1/agencies/{ori}/policy/versions/{version}/approve",
    **change(Action.AGENCY_POLICY_APPROVED, refuses=_DECISION_REFUSES),
)
async def approve_agency_policy_version(
    ctx: Ctx, session: DbSession, principal: Commander, ori: Ori, version: Version, body: PolicyDecision
) -> AgencyPolicyVersion:
    """Approves a version that loosens a rule: a commander of the agency, never its proposer.
    It takes force at its `effective_from`, or now if that has passed. Audited."""
    return await service.decide(ctx, session, principal, ori, version, approve=True, note=body.note)


@router.post(
    "/v1/agencies/{ori}/policy/versions/{version}/reject",
    **change(Action.AGENCY_POLICY_REJECTED, refuses=_DECISION_REFUSES),
)
async def reject_agency_policy_version(
    ctx: Ctx, session: DbSession, principal: Commander, ori: Ori, version: Version, body: PolicyRejection
) -> AgencyPolicyVersion:
    """Rejects a version pending approval, with the reason: a commander, never its proposer. Audited."""
    return await service.decide(ctx, session, principal, ori, version, approve=False, note=body.note)
