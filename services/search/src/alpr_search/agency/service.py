"""An agency's retention period (R16): 90 to 1,825 days, the service default until its
``alpr_admin`` sets one; every change on the ledger.

Issue 17: once the agency has a policy of its own (sharing's record, version >= 1), the policy's
``detection_days`` is its period and wins over this setting, which then only applies should the
agency go back to no policy; a value set here must lie within the policy's floor and ceiling
(R33), else 422 naming both. Whose policy was never read (sharing unreachable) is held to the
strictest defaults' bounds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alpr_common import Action, AgencyPolicyClient, Principal, ValidationProblem

from ..context import SearchContext
from ..retention.rules import RetentionSource, rule_of
from . import repository
from .repository import AgencySettingsRow
from .schemas import RetentionIn, RetentionPublic


async def retention_by_agency(conn: AsyncConnection | AsyncSession) -> dict[str, int]:
    """Each agency's own retention period in days (the service default applies to the others)."""
    return await repository.retention_by_agency(conn)


async def retention(
    session: AsyncSession, agency: str, default: int, policies: AgencyPolicyClient
) -> RetentionPublic:
    """The period the purge applies to the agency, and where it comes from (issue 17)."""
    row = await repository.get(session, agency)
    own = {} if row is None else {agency: row.retention_days}
    rule = await rule_of(policies, agency, own, default)
    if rule.source is RetentionSource.POLICY:
        return RetentionPublic(
            agency=agency,
            retention_days=rule.days,
            source="policy",
            updated_at=None if row is None else row.updated_at,
            policy_version=rule.policy_version,
            floor_days=rule.floor_days,
            ceiling_days=rule.ceiling_days,
        )
    return RetentionPublic(
        agency=agency,
        retention_days=rule.days,
        source=rule.source.value,
        updated_at=None if row is None else row.updated_at,
        floor_days=rule.floor_days,
        ceiling_days=rule.ceiling_days,
    )


async def set_retention(
    ctx: SearchContext, session: AsyncSession, principal: Principal, body: RetentionIn
) -> RetentionPublic:
    """Sets the agency's retention period; the next purge applies it unless the agency's policy
    sets one (issue 17: the policy wins). A value outside the policy's floor and ceiling is
    refused (R33). The change's ledger event commits with it (issue 16)."""
    default = ctx.settings.retention_days
    before = await retention(session, principal.agency, default, ctx.policies)
    floor, ceiling = before.floor_days, before.ceiling_days
    if floor is not None and ceiling is not None and not floor <= body.retention_days <= ceiling:
        whose = (
            f"its policy, version {before.policy_version}"
            if before.policy_version
            else "the strictest defaults: its policy could not be read"
        )
        raise ValidationProblem(
            f"retention_days {body.retention_days} is outside this agency's bounds: at least the "
            f"floor of {floor} days and at most the ceiling of {ceiling} days (R33; {whose})."
        )
    row = await repository.get(session, principal.agency)
    await repository.put(
        session,
        AgencySettingsRow(
            agency=principal.agency,
            retention_days=body.retention_days,
            updated_by={"sub": principal.sub, "name": principal.name},
            updated_at=datetime.now(UTC),
        ),
    )
    await ctx.ledger.record_change(
        session,
        principal,
        Action.AGENCY_UPDATED,
        data={
            "setting": "retention_days",
            "from": default if row is None else row.retention_days,
            "to": body.retention_days,
        },
    )
    return await retention(session, principal.agency, default, ctx.policies)
