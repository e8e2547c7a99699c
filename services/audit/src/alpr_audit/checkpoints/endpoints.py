"""``/v1/checkpoints``: signed ledger heads, with the public key to verify them."""

from __future__ import annotations

from fastapi import APIRouter

from alpr_common import (
    Action,
    BeforeSequence,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    change,
    decode_cursor,
    encode_cursor,
    view,
)

from ..auditors import AgencyAuditorPrincipal
from ..context import Ctx
from ..ledger.service import record_own
from ..roles import CheckpointMaker
from . import service
from .schemas import CheckpointList, CheckpointOut

router = APIRouter(tags=["checkpoints"])


@router.get("/v1/checkpoints", **view(Action.LEDGER_QUERIED))
async def list_checkpoints(
    ctx: Ctx, session: DbSession, principal: AgencyAuditorPrincipal, limit: Limit = 50, cursor: Cursor = None
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


@router.post("/v1/checkpoints", **change(Action.LEDGER_CHECKPOINTED, status=201, refuses=(Conflict,)))
async def create_checkpoint(ctx: Ctx, session: DbSession, principal: CheckpointMaker) -> CheckpointOut:
    """Signs the ledger's current head now (and records who asked for it)."""
    made = await service.make_checkpoint(await session.connection(), ctx.signing_key)
    if made is None:
        raise Conflict("The ledger is empty: there is nothing to checkpoint yet.")
    await record_own(ctx, principal, Action.LEDGER_CHECKPOINTED, data={"sequence": made.sequence})
    return made
