"""``/v1/checkpoints``: signed ledger heads, with the public key to verify them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from alpr_common import (
    Action,
    BeforeSequence,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    Principal,
    Role,
    change,
    decode_cursor,
    encode_cursor,
    view,
)

from ..auditors import AgencyAuditorPrincipal, require_agency_auditor
from ..context import Ctx
from ..ledger.service import record_own
from . import service
from .schemas import CheckpointList, CheckpointOut

router = APIRouter(tags=["checkpoints"])
Auditor = AgencyAuditorPrincipal
CheckpointMaker = Annotated[Principal, Depends(require_agency_auditor(Role.SERVICE))]


@router.get(
    "/v1/checkpoints",
    response_model=CheckpointList,
    **view(Action.LEDGER_QUERIED),
)
async def list_checkpoints(
    ctx: Ctx, session: DbSession, principal: Auditor, limit: Limit = 50, cursor: Cursor = None
) -> CheckpointList:
    """Signed checkpoints, newest first, and the public key (Ed25519, base64) that signs them."""
    position = decode_cursor(cursor, BeforeSequence)
    items = await service.list_checkpoints(
        await session.connection(), position.before if position else None, limit + 1
    )
    page = items[:limit]
    await record_own(ctx, principal, Action.LEDGER_QUERIED, data={"checkpoints": True})
    return CheckpointList(
        items=page,
        next_cursor=encode_cursor(BeforeSequence(before=page[-1].sequence))
        if len(items) > limit and page
        else None,
        public_key=ctx.public_key,
    )


@router.post(
    "/v1/checkpoints",
    response_model=CheckpointOut,
    status_code=status.HTTP_201_CREATED,
    **change(Action.LEDGER_CHECKPOINTED, refuses=(Conflict,)),
)
async def create_checkpoint(ctx: Ctx, session: DbSession, principal: CheckpointMaker) -> CheckpointOut:
    """Signs the ledger's current head now (and records who asked for it)."""
    made = await service.make_checkpoint(await session.connection(), ctx.signing_key)
    if made is None:
        raise Conflict("The ledger is empty: there is nothing to checkpoint yet.")
    await record_own(ctx, principal, Action.LEDGER_CHECKPOINTED, data={"sequence": made.sequence})
    return made
