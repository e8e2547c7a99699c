"""MOUs (R28): drafted, activated and suspended by the host's ``alpr_admin``; only one that is
active and within its dates allows any request or feed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import Action, Conflict, Principal, ValidationProblem, found

from ..agencies import repository as agencies
from ..clock import now
from ..context import SharingContext
from ..records import columns, person
from ..vocabulary import MouState
from . import repository
from .repository import MouRow
from .schemas import MouCreate, MouPublic, StateChange

# draft -> active -> suspended (and back to active); `expired` follows from the dates.
MOVES = {
    "activate": ({MouState.DRAFT, MouState.SUSPENDED}, MouState.ACTIVE),
    "suspend": ({MouState.ACTIVE}, MouState.SUSPENDED),
}


def in_force(row: MouRow) -> bool:
    stamp = now()
    return row.state == MouState.ACTIVE and row.effective_from <= stamp < row.expires_at


def public(row: MouRow) -> MouPublic:
    state = MouState.EXPIRED if row.expires_at <= now() else row.state
    return MouPublic.model_validate({**columns(row), "state": state, "in_force": in_force(row)})


async def create(
    ctx: SharingContext, session: AsyncSession, principal: Principal, body: MouCreate
) -> MouPublic:
    if await agencies.get(session, body.agency_ori) is None:
        raise ValidationProblem("The partner agency is not registered (POST /v1/agencies first).")
    if body.agency_ori == principal.agency:
        raise ValidationProblem("An agency does not hold an MOU with itself.")
    stamp = now()
    row = MouRow(
        id=uuid.uuid4(),
        host_agency=principal.agency,
        agency_ori=body.agency_ori,
        effective_from=body.effective_from,
        expires_at=body.expires_at,
        purposes=[p.value for p in body.purposes],
        share_hotlists=body.share_hotlists,
        max_results=body.max_results,
        terms=body.terms,
        state=MouState.DRAFT,
        history=[],
        created_by=person(principal),
        created_at=stamp,
        updated_at=stamp,
    )
    await repository.create(session, row)
    data = body.model_dump(mode="json", exclude={"terms"})
    targets = [str(row.id), body.agency_ori]
    await ctx.ledger.record_change(session, principal, Action.MOU_CREATED, targets=targets, data=data)
    return public(row)


async def get(session: AsyncSession, principal: Principal, mou_id: uuid.UUID) -> MouPublic:
    return public(found(await repository.get(session, principal.agency, mou_id)))


async def list_mous(session: AsyncSession, principal: Principal) -> list[MouPublic]:
    return [public(r) for r in await repository.list_for(session, principal.agency)]


async def move(
    ctx: SharingContext,
    session: AsyncSession,
    principal: Principal,
    mou_id: uuid.UUID,
    verb: str,
    body: StateChange,
) -> MouPublic:
    row = found(await repository.get(session, principal.agency, mou_id, lock=True))
    sources, target = MOVES[verb]
    if row.expires_at <= now():
        raise Conflict("The MOU has expired.")
    if row.state not in sources:
        raise Conflict(f"A {row.state} MOU cannot be {'activated' if verb == 'activate' else 'suspended'}.")
    stamp = now()
    step = {"from": row.state.value, "to": target.value, "by": person(principal).model_dump(),
            "at": stamp.isoformat(), "note": body.note}  # fmt: skip
    await repository.set_state(session, mou_id, target, [*row.history, step], stamp)
    await ctx.ledger.record_change(
        session,
        principal,
        Action.MOU_STATE_CHANGED,
        targets=[str(mou_id), row.agency_ori],
        data={"from": row.state.value, "to": target.value, "note": body.note, "partner": row.agency_ori},
    )
    return await get(session, principal, mou_id)
