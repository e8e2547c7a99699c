"""Requests (R24-R29): filed by a partner (identified by its client id) or by records staff on
its behalf, refused at once when a rule says so (kept on file with the reason), decided by a
commander (a supervisor for exigent ones, R25; never the requester), and fulfilled to the
requesting partner only, within the release window, while its MOU is in force. Everything a
partner is not entitled to see answers one and the same 404 (R27)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    Conflict,
    Forbidden,
    NotFound,
    Outcome,
    Principal,
    Purpose,
    PurposeStated,
    Role,
    ServiceCallError,
    ServiceSearch,
    SharedEntry,
    Unavailable,
    ValidationProblem,
    found,
)

from .. import notifications
from ..agencies import repository as agencies
from ..agencies.repository import AgencyRow
from ..clock import now
from ..context import SharingContext
from ..mous import repository as mous
from ..mous.repository import MouRow
from ..mous.service import in_force
from ..policy import service as policies
from ..records import columns, person
from ..vocabulary import RequestStatus
from . import repository, rules
from .repository import RequestRow
from .schemas import (
    DecisionIn,
    DecisionKind,
    RequestCreate,
    RequestPublic,
    Results,
    SharedHotlist,
)

STAFF = (Role.COMMANDER, Role.SUPERVISOR, Role.RECORDS, Role.ALPR_ADMIN)


def public(ctx: SharingContext, row: RequestRow) -> RequestPublic:
    until = None
    if row.status == RequestStatus.APPROVED and row.decided_at is not None:
        until = row.decided_at + timedelta(hours=ctx.settings.release_window_hours)
    return RequestPublic.model_validate(
        {**columns(row), "scope": row.scope_document(), "release_until": until}
    )


async def partner_of(session: AsyncSession, principal: Principal) -> AgencyRow | None:
    """The partner agency a machine token belongs to (by its client id), if any."""
    if not principal.client_id:
        return None
    return await agencies.by_client(session, principal.client_id)


async def _host_of(session: AsyncSession, partner: str, named: str | None) -> str:
    if named:
        return named
    hosts = {m.host_agency for m in await mous.in_force(session, partner, now())}
    if len(hosts) == 1:
        return hosts.pop()
    if not hosts:
        return ""  # refused below: no MOU in force
    raise ValidationProblem("Name `target_agency`: the agency holds MOUs with several hosts.")


async def file(
    ctx: SharingContext, session: AsyncSession, principal: Principal, body: RequestCreate
) -> tuple[RequestPublic, rules.Verdict]:
    """Files the request; a refusal is kept on file and on the ledger like an accepted one."""
    if principal.has_any(Role.PARTNER) and not principal.has_any(Role.RECORDS):
        partner = await partner_of(session, principal)
        if partner is None:
            raise Forbidden("This client is not registered to a partner agency.")
        if body.agency_ori and body.agency_ori != partner.ori:
            raise Forbidden("A partner files requests for its own agency only.")
        host = await _host_of(session, partner.ori, body.target_agency)
    else:
        if not body.agency_ori:
            raise ValidationProblem("`agency_ori` names the partner a request is filed for.")
        partner = await agencies.get(session, body.agency_ori)
        if partner is None:
            raise ValidationProblem("The partner agency is not registered.")
        if body.target_agency and body.target_agency != principal.agency:
            raise Forbidden("Records staff file requests to their own agency.")
        host = principal.agency
    policy = await policies.in_force(ctx.settings, session, host)
    verdict = rules.judge(
        ctx.settings, policy.sharing, partner, body, await mous.in_force(session, partner.ori, now(), host)
    )
    row = RequestRow(
        id=uuid.uuid4(),
        host_agency=host or "unknown",
        agency_ori=partner.ori,
        mou_id=verdict.mou.id if verdict.mou is not None else None,
        requester_name=body.requester_name,
        filed_by=person(principal),
        purpose=body.purpose.value,
        case_number=body.case_number,
        scope=body.scope,
        exigent=body.exigent,
        justification=body.justification,
        status=RequestStatus.REFUSED if verdict.refusal else RequestStatus.PENDING,
        refusal_reason=verdict.refusal.value if verdict.refusal else None,
        refusal_detail=verdict.detail or None,
        created_at=now(),
    )
    await repository.create(session, row)
    await ctx.ledger.record_change(
        session,
        principal,
        Action.SHARING_REQUESTED,
        agency=row.host_agency,
        outcome=Outcome.REFUSED if verdict.refusal else Outcome.ALLOWED,
        outcome_reason=verdict.refusal.value if verdict.refusal else None,
        purpose=Purpose(body.purpose),
        case_number=body.case_number,
        reason=body.justification,
        targets=[str(row.id)],
        data={
            "agency": partner.ori,
            "requester_name": body.requester_name,
            "plate": body.scope.plate,
            "scope": row.scope_document(),
            "exigent": body.exigent,
            "mou_id": _id_text(row.mou_id),
        },
    )
    return public(ctx, row), verdict


async def _visible(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> RequestRow:
    """The request if the caller may see it: the host's staff, or the partner that asked."""
    row = found(await repository.get(session, request_id, lock=lock))
    if principal.has_any(*STAFF) and row.host_agency == principal.agency:
        return row
    if principal.has_any(Role.PARTNER):
        partner = await partner_of(session, principal)
        if partner is not None and partner.ori == row.agency_ori:
            return row
    raise NotFound()


async def get(
    ctx: SharingContext, session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> RequestPublic:
    return public(ctx, await _visible(session, principal, request_id))


async def view(
    ctx: SharingContext, session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> RequestPublic:
    """One request (its plate, time window, purpose and case number): recorded before it
    leaves (issue 16)."""
    request = await get(ctx, session, principal, request_id)
    await _record_view(ctx, principal, [request])
    return request


async def _record_view(ctx: SharingContext, principal: Principal, requests: list[RequestPublic]) -> None:
    await ctx.record_access(
        principal,
        Action.SHARING_REQUEST_VIEWED,
        targets=[str(r.id) for r in requests],
        data={"results": len(requests)},
    )


async def list_requests(
    ctx: SharingContext, session: AsyncSession, principal: Principal, status: RequestStatus | None, limit: int
) -> list[RequestPublic]:
    wanted = status.value if status else None
    if principal.has_any(*STAFF):
        rows = await repository.list_for(
            session, host=principal.agency, partner=None, status=wanted, limit=limit
        )
    else:
        partner = await partner_of(session, principal)
        if partner is None:
            return []
        rows = await repository.list_for(session, host=None, partner=partner.ori, status=wanted, limit=limit)
    requests = [public(ctx, r) for r in rows]
    await _record_view(ctx, principal, requests)
    return requests


async def decide(
    ctx: SharingContext, session: AsyncSession, principal: Principal, request_id: uuid.UUID, body: DecisionIn
) -> RequestPublic:
    """R24: a commander decides; R25: for an exigent request a supervisor may; never the requester."""
    row = await repository.get(session, request_id, lock=True)
    if row is None or row.host_agency != principal.agency:
        raise NotFound()
    if not principal.has_any(Role.COMMANDER) and not row.exigent:
        raise Forbidden("A request that is not exigent is decided by a commander (R24).")
    if row.filed_by.sub == principal.sub:
        raise Forbidden("The requester never decides their own request.")
    if row.status != RequestStatus.PENDING:
        raise Conflict(f"The request is {row.status}; only a pending request is decided.")
    approve = body.decision == DecisionKind.APPROVE
    if approve:
        mou = await _mou_of(session, row)
        if mou is None or not in_force(mou):
            raise Conflict("The MOU of this request is no longer in force.")
    stamp = now()
    settled = row.model_copy(
        update={
            "status": RequestStatus.APPROVED if approve else RequestStatus.DENIED,
            "decided_by": person(principal),
            "decided_at": stamp,
            "decision_note": body.note,
        }
    )
    await repository.decide(session, settled)
    decided = public(ctx, settled)
    partner = await agencies.get(session, row.agency_ori)
    if partner is not None:
        await notifications.queue(
            session,
            partner,
            notifications.DecisionNotice(
                request_id=request_id,
                decision=body.decision,
                status=decided.status,
                decided_at=stamp,
                note=body.note,
                release_until=decided.release_until,
            ),
        )
    stated = PurposeStated(
        purpose=Purpose(row.purpose), case_number=row.case_number, reason=body.note, targets=[str(request_id)]
    )
    data = {
        "decision": body.decision.value,
        "agency": row.agency_ori,
        "requester_name": row.requester_name,
        "exigent": row.exigent,
        "plate": row.scope.plate,
        "mou_id": _id_text(row.mou_id),
    }
    await ctx.ledger.record_change(session, principal, Action.SHARING_DECIDED, data=data, **stated)
    return decided


async def _releasable(
    ctx: SharingContext, session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> tuple[RequestRow, MouRow]:
    """The approved request of this partner and its MOU, while both allow a release; any other
    case is the one 404 (R27): unknown, another agency's, pending, denied, refused, past its
    window, or under an MOU no longer in force."""
    partner = await partner_of(session, principal)
    row = await repository.get(session, request_id, lock=True)
    if partner is None or row is None or row.agency_ori != partner.ori:
        raise NotFound()
    if row.status != RequestStatus.APPROVED or row.decided_at is None:
        raise NotFound()
    if now() >= row.decided_at + timedelta(hours=ctx.settings.release_window_hours):
        raise NotFound()
    mou = await _mou_of(session, row)
    if mou is None or not in_force(mou) or row.purpose not in mou.purposes:
        raise NotFound()
    return row, mou


async def results(
    ctx: SharingContext,
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    cursor: str | None,
) -> Results:
    """Runs exactly the approved scope through search (a scoped service call naming the request)
    and records the release on the ledger before answering. A release (its pages together)
    carries at most the MOU's ``max_results`` and the host agency's ``sharing.max_results`` in
    force (issue 17, R28): when more detections match, it is cut there and says so (``capped``,
    on the answer and the ledger event)."""
    row, mou = await _releasable(ctx, session, principal, request_id)
    host = await policies.in_force(ctx.settings, session, row.host_agency)
    cap = release_cap(mou.max_results, host.sharing.max_results)
    already = row.released_count if cursor else 0
    remaining = cap - already
    if remaining <= 0:
        return Results(request_id=request_id, items=[], next_cursor=None, max_results=cap, capped=True)
    approved = row.scope
    query = ServiceSearch(
        purpose=Purpose(row.purpose),
        case_number=row.case_number or str(request_id),
        reason=f"sharing request {request_id}",
        plate=approved.plate,
        from_=approved.from_,
        to=approved.to,
        area=approved.area,
        agency=row.host_agency,
        sharing_request_id=request_id,
        limit=min(500, remaining),
        cursor=cursor or None,
    )
    try:
        answer = await ctx.clients.search.search(query)
    except ServiceCallError as exc:
        raise Unavailable("The detection store did not answer the release.") from exc
    found = answer.items
    items = found[:remaining]
    more = len(found) > remaining or answer.next_cursor is not None
    capped = len(items) == remaining and more  # more matched than the release may carry
    next_cursor = answer.next_cursor if len(items) < remaining else None
    stamp = now()
    scope = row.scope_document()
    await ctx.record_access(
        principal,
        Action.SHARING_RELEASED,
        agency=row.host_agency,
        purpose=Purpose(row.purpose),
        case_number=row.case_number,
        targets=[str(request_id), *(str(i.id) for i in items[:900])],
        data={
            "agency": row.agency_ori,
            "request_id": str(request_id),
            "mou_id": str(mou.id),
            "plate": scope["plate"],
            "from": scope["from"],
            "to": scope["to"],
            "count": len(items),
            "requester_name": row.requester_name,
            "max_results": cap,
            "capped": capped,
        },
    )
    await repository.released(session, request_id, already + len(items), stamp)
    return Results(
        request_id=request_id, items=items, next_cursor=next_cursor, max_results=cap, capped=capped
    )


async def _mou_of(session: AsyncSession, row: RequestRow) -> MouRow | None:
    """The MOU the request was filed under (a refused one may have none)."""
    return await mous.by_id(session, row.mou_id) if row.mou_id else None


def _id_text(mou_id: uuid.UUID | None) -> str | None:
    return str(mou_id) if mou_id else None


def release_cap(mou_max: int, policy_max: int) -> int:
    """The most detections one release carries: the MOU's limit (R28) and the host agency's
    policy's (issue 17), whichever is smaller."""
    return min(mou_max, policy_max)


async def shared_hotlist(ctx: SharingContext, session: AsyncSession, principal: Principal) -> SharedHotlist:
    """Entries flagged shareable, of every host whose MOU in force shares hotlists (R11: only
    fresh ones, each with its `refreshed_at`)."""
    partner = found(await partner_of(session, principal))
    hosts = sorted(
        {m.host_agency for m in await mous.in_force(session, partner.ori, now()) if m.share_hotlists}
    )
    if not hosts:
        raise NotFound()
    items: list[SharedEntry] = []
    try:
        for host in hosts:
            items.extend(await ctx.clients.hotlist.shared_entries(host))
    except ServiceCallError as exc:
        raise Unavailable("The hotlist service did not answer.") from exc
    for host in hosts:
        await ctx.record_access(
            principal,
            Action.SHARING_RELEASED,
            agency=host,
            data={"agency": partner.ori, "kind": "shared_hotlist", "count": len(items)},
        )
    return SharedHotlist(items=items)


def refusal_problem(request: RequestPublic, verdict: rules.Verdict) -> dict[str, Any]:
    return {
        "type": "urn:alpr:problem:request-refused",
        "title": "Request refused",
        "status": 403,
        "detail": verdict.detail,
        "reason": verdict.refusal.value if verdict.refusal else None,
        "sharing_request_id": str(request.id),
    }
