"""``/v1/alerts``: list, one, transitions (R13), and the live stream (Server-Sent Events), which
a browser opens with a one-time ticket (issue 18)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from alpr_common import (
    Action,
    AuditUnavailable,
    Conflict,
    Cursor,
    DbSession,
    Limit,
    NotFound,
    Page,
    Principal,
    change,
    read,
    require_roles_or_ticket,
    view,
)

from ..context import Ctx, get_context
from ..roles import HOTLIST_STAFF, HotlistStaff, Officer
from ..vocabulary import AlertState
from . import service, tickets
from .schemas import AlertPublic, StreamTicket, TransitionIn

router = APIRouter(tags=["alerts"])


async def _redeem(request: Request, ticket: str, bearer: Principal | None) -> Principal | None:
    return await tickets.redeem(await get_context(request), ticket, bearer)


# The stream's readers: a bearer token, or a ticket bought with one (a browser's EventSource).
StreamReader = Annotated[Principal, Depends(require_roles_or_ticket(*HOTLIST_STAFF, redeem=_redeem))]


@router.get("/v1/alerts", **view(Action.ALERT_VIEWED))
async def list_alerts(
    ctx: Ctx,
    session: DbSession,
    principal: HotlistStaff,
    state: Annotated[list[AlertState], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    hotlist_id: Annotated[list[uuid.UUID], Query(max_length=100)] = [],  # noqa: B006
    since: datetime | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AlertPublic]:
    """The agency's alerts, newest first."""
    return await service.list_alerts(
        ctx, session, principal, states=state, hotlist_ids=hotlist_id, since=since, limit=limit, cursor=cursor
    )


@router.get(
    "/v1/alerts/stream",
    response_class=EventSourceResponse,
    **view(
        Action.ALERT_VIEWED,
        responses={
            200: {
                "description": (
                    "`alert.created` and `alert.transitioned` events; `data` is an alert, `id` the position."
                ),
                # OpenAPI 3.1 has no `itemSchema` (3.2): `schema` describes one event, as 3.1 tools
                # read it, with its data's JSON schema as `contentSchema` (issue 18).
                "content": {
                    "text/event-stream": {
                        "schema": {
                            "type": "object",
                            "description": "One event; `:` comment lines (keep-alives) are not events.",
                            "properties": {
                                "event": {"type": "string", "enum": ["alert.created", "alert.transitioned"]},
                                "id": {"type": "string", "description": "The position, for `Last-Event-ID`."},
                                "data": {
                                    "type": "string",
                                    "contentMediaType": "application/json",
                                    "contentSchema": {"$ref": "#/components/schemas/AlertPublic"},
                                },
                                "retry": {"type": "integer", "minimum": 0},
                            },
                            "required": ["event", "id", "data"],
                        }
                    }
                },
            },
        },
    ),
)
async def stream_alerts(
    ctx: Ctx,
    principal: StreamReader,
    hotlist_id: Annotated[list[uuid.UUID], Query(max_length=100)] = [],  # noqa: B006
    last_event_id: Annotated[
        int | None, Header(ge=0, le=2**63 - 1, description="Resume after this event.")
    ] = None,
    resume_after: Annotated[
        int | None,
        Query(
            alias="last_event_id",
            ge=0,
            le=2**63 - 1,
            description="`Last-Event-ID` for a new `EventSource`, which cannot send the header.",
        ),
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    """The agency's alerts as they are made and moved (Server-Sent Events), resumable with
    `Last-Event-ID` (the header, or the `last_event_id` parameter); without it, from now on.
    A browser opens it with `?ticket=` (`POST /v1/alerts/stream-tickets`), a new one each time."""
    after = last_event_id if last_event_id is not None else resume_after
    async for event in service.stream(ctx, principal, hotlist_id, after):
        yield event


@router.post("/v1/alerts/stream-tickets", **read(status=201))
async def issue_stream_ticket(
    ctx: Ctx, session: DbSession, principal: HotlistStaff, response: Response
) -> StreamTicket:
    """A one-time ticket that opens `GET /v1/alerts/stream?ticket=...` as the caller, within
    `expires_in` seconds (30): for a browser's `EventSource`, which cannot send a bearer token."""
    response.headers["Cache-Control"] = "no-store"  # a credential: kept by no cache
    return await tickets.issue(ctx, session, principal)


@router.get("/v1/alerts/{alert_id}", **view(Action.ALERT_VIEWED, refuses=(NotFound,)))
async def get_alert(
    ctx: Ctx, session: DbSession, principal: HotlistStaff, alert_id: uuid.UUID
) -> AlertPublic:
    """One alert with its transitions (the view is on the ledger first)."""
    return await service.view(ctx, session, principal, alert_id)


@router.post(
    "/v1/alerts/{alert_id}/transitions",
    **change(Action.ALERT_TRANSITIONED, refuses=(NotFound, Conflict, AuditUnavailable)),
)
async def transition_alert(
    ctx: Ctx, session: DbSession, principal: Officer, alert_id: uuid.UUID, body: TransitionIn
) -> AlertPublic:
    """Moves an alert one step (R13): `alert` -> `tentative_hit` (characters and state checked
    against the image) -> `live_query` (still active) -> `confirmed` (by the entering agency), or
    closes it as `misread` or `not_active`. The move into a final state records the disposition
    (R14): required for `confirmed` and `not_active`, `misread` for `misread`, none otherwise (422).
    Recorded with who, when and the note; audited."""
    return await service.transition(ctx, session, principal, alert_id, body)
