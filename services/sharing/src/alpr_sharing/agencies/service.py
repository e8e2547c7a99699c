"""Registration of partner agencies (``alpr_admin``), audited. A machine client id belongs to
one agency only: that is how a partner's token is tied to its agency."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    Conflict,
    OutboundBlocked,
    Principal,
    ProblemFieldError,
    ValidationProblem,
    found,
    new_webhook_secret,
)

from ..clock import now
from ..context import SharingContext
from ..records import columns, person
from . import repository
from .repository import AgencyRow
from .schemas import AgencyCreate, AgencyPublic, AgencyUpdate


async def _check_clients(session: AsyncSession, ori: str, client_ids: list[str]) -> None:
    for client_id in client_ids:
        owner = await repository.by_client(session, client_id)
        if owner is not None and owner.ori != ori:
            raise Conflict(f"The client id {client_id!r} is registered to another agency.")


async def _check_webhook(ctx: SharingContext, url: object) -> None:
    """Issue 19: a partner's webhook obeys the outbound-URL policy (checked again at sending)."""
    if url is None:
        return
    try:
        await ctx.settings.outbound_policy.check(str(url))
    except OutboundBlocked as exc:
        raise ValidationProblem(
            f"webhook_url: {exc}", errors=[ProblemFieldError(loc=["body", "webhook_url"], msg=str(exc))]
        ) from None


async def create(
    ctx: SharingContext, session: AsyncSession, principal: Principal, body: AgencyCreate
) -> AgencyPublic:
    await _check_webhook(ctx, body.webhook_url)
    if await repository.get(session, body.ori) is not None:
        raise Conflict("An agency with this ORI is registered.")
    await _check_clients(session, body.ori, body.client_ids)
    stamp = now()
    row = AgencyRow(
        ori=body.ori,
        name=body.name,
        state=body.state,
        kind=body.kind,
        federal=body.federal,
        client_ids=body.client_ids,
        contacts=body.contacts,
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
        webhook_secret=new_webhook_secret() if body.webhook_url else None,
        registered_by_agency=principal.agency,
        created_by=person(principal),
        created_at=stamp,
        updated_at=stamp,
    )
    await repository.create(session, row)
    await ctx.ledger.record_change(
        session, principal, Action.AGENCY_CREATED, targets=[body.ori], data=body.model_dump(mode="json")
    )
    return AgencyPublic.model_validate(columns(row))  # the only answer that carries the new secret


def public(row: AgencyRow) -> AgencyPublic:
    return AgencyPublic.model_validate({**columns(row), "webhook_secret": None})


async def get(session: AsyncSession, principal: Principal, ori: str) -> AgencyPublic:
    """A partner the caller's agency registered; another host's partner is not found (R27)."""
    return public(found(await repository.get_registered(session, ori, principal.agency)))


async def list_agencies(session: AsyncSession, principal: Principal) -> list[AgencyPublic]:
    """The partners the caller's agency registered (never another host's: issue 19)."""
    return [public(r) for r in await repository.list_registered(session, principal.agency)]


async def update(
    ctx: SharingContext, session: AsyncSession, principal: Principal, ori: str, body: AgencyUpdate
) -> AgencyPublic:
    # A partner record is changed only by the host agency that registered it.
    found(await repository.get_registered(session, ori, principal.agency))
    if "webhook_url" in body.model_fields_set:
        await _check_webhook(ctx, body.webhook_url)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if body.client_ids is not None:
        await _check_clients(session, ori, body.client_ids)
    secret = None
    if "webhook_url" in body.model_fields_set:
        changes["webhook_url"] = str(body.webhook_url) if body.webhook_url else None
        secret = new_webhook_secret() if body.webhook_url else None
        changes_stored = {**changes, "webhook_secret": secret}
    else:
        changes_stored = changes
    if changes:
        await repository.update_agency(session, ori, {**changes_stored, "updated_at": now()})
        await ctx.ledger.record_change(session, principal, Action.AGENCY_UPDATED, targets=[ori], data=changes)
    answer = await get(session, principal, ori)
    return answer.model_copy(update={"webhook_secret": secret}) if secret else answer
