"""Persistence of requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import Person

from ..records import Record, stored, values
from ..tables import requests
from ..vocabulary import RequestStatus
from .schemas import FiledRequest, Scope


class RequestRow(FiledRequest, Record):
    """A written request as kept on file (R24): what it asked for, the refusal or the decision,
    and how much was released (a new request: no decision, nothing)."""

    scope: Scope
    exigent: bool
    justification: str | None
    status: RequestStatus
    refusal_reason: str | None
    refusal_detail: str | None
    decided_by: Person | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    released_count: int = 0
    last_released_at: datetime | None = None
    created_at: datetime

    def scope_document(self) -> dict[str, Any]:
        """The scope as filed and shown: its JSON document (``from``, ``to``, no empty field)."""
        return self.scope.model_dump(mode="json", by_alias=True, exclude_none=True)


async def create(session: AsyncSession, row: RequestRow) -> None:
    await session.execute(requests.insert().values(**{**values(row), "scope": row.scope_document()}))


async def get(session: AsyncSession, request_id: uuid.UUID, *, lock: bool = False) -> RequestRow | None:
    return await RequestRow.first(session, select(requests).where(requests.c.id == request_id), lock=lock)


async def list_for(
    session: AsyncSession, *, host: str | None, partner: str | None, status: str | None, limit: int
) -> list[RequestRow]:
    q = select(requests)
    if host is not None:
        q = q.where(requests.c.host_agency == host)
    if partner is not None:
        q = q.where(requests.c.agency_ori == partner)
    if status is not None:
        q = q.where(requests.c.status == status)
    q = q.order_by(requests.c.created_at.desc()).limit(limit)
    return [RequestRow.of(m) for m in (await session.execute(q)).mappings().all()]


async def decide(session: AsyncSession, decided: RequestRow) -> None:
    """Writes the decision on the request (its status, who, when and the note)."""
    await _update(
        session,
        decided.id,
        status=decided.status.value,
        decided_by=stored(decided.decided_by),
        decided_at=decided.decided_at,
        decision_note=decided.decision_note,
    )


async def released(session: AsyncSession, request_id: uuid.UUID, count: int, at: datetime) -> None:
    """Counts what the request has released so far, and when it last did."""
    await _update(session, request_id, released_count=count, last_released_at=at)


async def _update(session: AsyncSession, request_id: uuid.UUID, **changes: Any) -> None:
    await session.execute(update(requests).where(requests.c.id == request_id).values(**changes))
