"""Every SQL statement on search requests (issue 17); every read scoped to one agency (R27)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..tables import search_requests

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True)
class ApprovalRow:
    """A search request: who asked to run which search (its purpose, case number, reason and
    criteria, and their digest), why, and the supervisor's decision and its one use."""

    id: uuid.UUID
    agency: str
    requester_sub: str
    requested_by: dict[str, Any]
    purpose: str
    case_number: str | None
    reason: str | None
    justification: str
    criteria: dict[str, Any]
    digest: str
    tiers: list[str]
    status: str
    created_at: datetime
    decided_by: dict[str, Any] | None
    decided_at: datetime | None
    decision_note: str | None
    expires_at: datetime | None
    used_at: datetime | None
    used_by_search: uuid.UUID | None


def _row(mapping: Any) -> ApprovalRow:
    return ApprovalRow(**{c.name: mapping[c.name] for c in search_requests.c})


async def insert_request(session: AsyncSession, row: ApprovalRow) -> None:
    values = {c.name: getattr(row, c.name) for c in search_requests.c}
    await session.execute(insert(search_requests).values(**values))


async def get(conn: AsyncConnection | AsyncSession, agency: str, request_id: uuid.UUID) -> ApprovalRow | None:
    result = await conn.execute(
        select(search_requests).where(search_requests.c.id == request_id, search_requests.c.agency == agency)
    )
    found = result.mappings().first()
    return _row(found) if found is not None else None


async def of_agency(
    conn: AsyncConnection | AsyncSession, agency: str, *, requester_sub: str | None, limit: int
) -> list[ApprovalRow]:
    """The agency's requests, newest first; only ``requester_sub``'s when given."""
    query = select(search_requests).where(search_requests.c.agency == agency)
    if requester_sub is not None:
        query = query.where(search_requests.c.requester_sub == requester_sub)
    query = query.order_by(search_requests.c.created_at.desc(), search_requests.c.id).limit(limit)
    return [_row(m) for m in (await conn.execute(query)).mappings().all()]


async def _update_while(
    session: AsyncSession, agency: str, request_id: uuid.UUID, *holds: ColumnElement[bool], **values: Any
) -> ApprovalRow | None:
    """Sets ``values`` on the agency's request only while every one of ``holds`` is true of it, in
    one statement; the row as updated, none when it was not."""
    result = await session.execute(
        update(search_requests)
        .where(search_requests.c.id == request_id, search_requests.c.agency == agency, *holds)
        .values(**values)
        .returning(*search_requests.c)
    )
    found = result.mappings().first()
    return _row(found) if found is not None else None


async def decide(
    session: AsyncSession,
    agency: str,
    request_id: uuid.UUID,
    *,
    status: str,
    decided_by: dict[str, Any],
    decided_at: datetime,
    note: str,
    expires_at: datetime | None,
) -> ApprovalRow | None:
    """Decides a pending request; none when it is not (or no longer) pending."""
    return await _update_while(
        session,
        agency,
        request_id,
        search_requests.c.status == PENDING,
        status=status,
        decided_by=decided_by,
        decided_at=decided_at,
        decision_note=note,
        expires_at=expires_at,
    )


async def use(
    session: AsyncSession, agency: str, request_id: uuid.UUID, search_id: uuid.UUID
) -> ApprovalRow | None:
    """Uses an approval once, atomically: of two searches racing for it, one gets the row and
    the other none (the second waits on the first's row lock, then finds it used)."""
    return await _update_while(
        session,
        agency,
        request_id,
        search_requests.c.status == APPROVED,
        search_requests.c.used_at.is_(None),
        search_requests.c.expires_at > func.now(),
        used_at=func.now(),
        used_by_search=search_id,
    )
