"""One-time stream tickets (issue 18): a browser's ``EventSource`` cannot send a bearer token,
so it opens the alert stream with a ticket its bearer token bought a moment before.

A ticket is 256 random bits, valid ``HOTLIST_STREAM_TICKET_SECONDS`` (30), used once, and stands
for the principal it was issued to (roles and training as they were then). Only its SHA-256 is
stored (in the database, so any replica can take it); the ticket itself is never logged."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import Principal

from ..context import HotlistContext
from . import repository
from .repository import TicketRow
from .schemas import StreamTicket

# secrets.token_urlsafe(32) is 43 characters; anything far from that is refused unread.
_MIN_LENGTH, _MAX_LENGTH = 32, 64


def _digest(ticket: str) -> bytes:
    # 256 random bits need no salt or stretching: the hash only keeps a database reader from
    # holding usable tickets.
    return hashlib.sha256(ticket.encode()).digest()


async def issue(ctx: HotlistContext, session: AsyncSession, principal: Principal) -> StreamTicket:
    ticket = secrets.token_urlsafe(32)
    seconds = ctx.settings.stream_ticket_seconds
    expires = await repository.add_ticket(
        session,
        _digest(ticket),
        TicketRow(**principal.identity()),
        seconds,
    )
    return StreamTicket(ticket=ticket, expires_at=expires, expires_in=seconds)


async def redeem(ctx: HotlistContext, ticket: str, bearer: Principal | None) -> Principal | None:
    """The principal a ticket was issued to; None for a ticket that is unknown, used, expired,
    or (with a bearer token alongside) another user's or another agency's, which the caller
    refuses alike (R27). Whatever the answer, a ticket presented is used up."""
    if not _MIN_LENGTH <= len(ticket) <= _MAX_LENGTH or not ticket.isascii():
        return None
    async with ctx.sessions.begin() as session:
        row = await repository.take_ticket(session, _digest(ticket))
    if row is None:
        return None
    if bearer is not None and (bearer.sub, bearer.agency) != (row.sub, row.agency):
        return None
    return Principal(**{**vars(row), "roles": frozenset(row.roles)})
