"""The rules of the agency policy record (issue 17).

A change is a new version, never an edit: who proposed it, when, why and from when. A version
that loosens any rule (``rules.loosenings``) waits for a commander of the agency who is not its
proposer; any other version takes force at its ``effective_from`` (a later time publishes it for
comment first, R40). Which version is in force at a time: the newest approved one whose
``in_force_from`` has come. Every change and decision is on the ledger in its own transaction.
People reach their own agency's record only (another agency's is not found, R27); services read
any agency's, to apply its rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    AgencyPolicy,
    AgencyPolicyVersion,
    BeforeSequence,
    Conflict,
    Forbidden,
    NotFound,
    Page,
    PolicyActor,
    PolicyStatus,
    Principal,
    ProblemFieldError,
    Role,
    SharingPolicy,
    ValidationProblem,
    decode_cursor,
    encode_cursor,
    found,
)

from ..clock import now
from ..context import SharingContext
from ..records import columns
from ..settings import Settings
from . import repository, rules
from .repository import PolicyRow
from .schemas import PolicyChange

# A proposal's effective_from may lag the server's clock by this much (it then takes force now).
CLOCK_SKEW = timedelta(minutes=1)


def defaults(settings: Settings) -> AgencyPolicy:
    """The policy of an agency that never set one: sharing's own settings (R29: host state,
    federal, out of state) where they exist, the strictest default everywhere else."""
    return AgencyPolicy(
        sharing=SharingPolicy(
            host_state=settings.host_state,
            federal_allowed=settings.allow_federal,
            out_of_state_allowed=settings.allow_out_of_state,
        )
    )


def _readable(principal: Principal, ori: str) -> str:
    """R27: a person reads their own agency's record; a service any agency's."""
    if principal.has_any(Role.SERVICE) or ori == principal.agency:
        return ori
    raise NotFound()


def _own(principal: Principal, ori: str) -> str:
    """R27: only the agency's own people change its record; another agency's is not found."""
    if ori != principal.agency:
        raise NotFound()
    return ori


def in_force_at(approved: list[PolicyRow], at: datetime) -> PolicyRow | None:
    """The newest approved version whose time has come at ``at`` (none: the defaults)."""
    live = [r for r in approved if r.in_force_from is not None and r.in_force_from <= at]
    return max(live, key=lambda r: r.version, default=None)


def status_of(row: PolicyRow, approved: list[PolicyRow], at: datetime) -> PolicyStatus:
    if row.decision == "rejected":
        return PolicyStatus.REJECTED
    if row.decision == "pending":
        newer = any(a.version > row.version for a in approved)
        return PolicyStatus.STALE if newer else PolicyStatus.PENDING_APPROVAL
    current = in_force_at(approved, at)
    if current is not None and current.version == row.version:
        return PolicyStatus.IN_FORCE
    assert row.in_force_from is not None
    start = row.in_force_from
    # A newer version in force by this one's start means this one never takes force.
    overtaken = any(
        a.version > row.version and a.in_force_from is not None and a.in_force_from <= start for a in approved
    )
    if start > at and not overtaken:
        return PolicyStatus.SCHEDULED
    return PolicyStatus.SUPERSEDED


def _actor(principal: Principal) -> PolicyActor:
    return PolicyActor(sub=principal.sub, name=principal.name)


def public(row: PolicyRow, approved: list[PolicyRow], at: datetime) -> AgencyPolicyVersion:
    # The row's own fields (not its decision: its status says it), and its status at ``at``.
    return AgencyPolicyVersion.model_validate({**columns(row), "status": status_of(row, approved, at)})


def default_version(settings: Settings, agency: str) -> AgencyPolicyVersion:
    policy = defaults(settings)
    return AgencyPolicyVersion(agency=agency, version=0, status=PolicyStatus.DEFAULT, policy=policy)


async def in_force(settings: Settings, session: AsyncSession, agency: str) -> AgencyPolicy:
    """The rules of ``agency`` in force now, for sharing's own checks (it owns the record, so
    it reads it directly; other services use ``AgencyPolicyClient``)."""
    row = in_force_at(await repository.approved(session, agency), now())
    return row.policy if row else defaults(settings)


async def current(
    ctx: SharingContext, session: AsyncSession, principal: Principal, ori: str, at: datetime | None
) -> AgencyPolicyVersion:
    """The version in force now, or at ``at``; the defaults where none was."""
    agency = _readable(principal, ori)
    approved = await repository.approved(session, agency)
    row = in_force_at(approved, at or now())
    return public(row, approved, now()) if row else default_version(ctx.settings, agency)


async def versions(
    session: AsyncSession, principal: Principal, ori: str, cursor: str | None, limit: int
) -> Page[AgencyPolicyVersion]:
    """Every version, newest first: old ones stay readable (R40, Modesto 462.9)."""
    agency = _readable(principal, ori)
    position = decode_cursor(cursor, BeforeSequence)
    rows = await repository.page(session, agency, position.before if position else None, limit)
    approved = await repository.approved(session, agency)
    stamp = now()
    items = [public(r, approved, stamp) for r in rows[:limit]]
    more = len(rows) > limit
    nxt = encode_cursor(BeforeSequence(before=items[-1].version)) if more and items else None
    return Page(items=items, next_cursor=nxt)


async def version(session: AsyncSession, principal: Principal, ori: str, number: int) -> AgencyPolicyVersion:
    agency = _readable(principal, ori)
    row = found(await repository.get(session, agency, number))
    return public(row, await repository.approved(session, agency), now())


def _ref(agency: str, number: int) -> str:
    return f"{agency}/policy/versions/{number}"


async def propose(
    ctx: SharingContext, session: AsyncSession, principal: Principal, ori: str, body: PolicyChange
) -> AgencyPolicyVersion:
    """A new version by the agency's ``alpr_admin``: pending a commander's approval when it
    loosens a rule against the version it replaces, else approved, in force from its
    ``effective_from``. On the ledger with the rules it changes and loosens."""
    agency = _own(principal, ori)
    stamp = now()
    effective = body.effective_from or stamp
    if effective < stamp - CLOCK_SKEW:
        msg = "must not be in the past: a policy never takes force retroactively (R40)"
        raise ValidationProblem(
            f"effective_from {msg}.", errors=[ProblemFieldError(loc=["body", "effective_from"], msg=msg)]
        )
    await repository.lock_agency(session, agency)
    approved = await repository.approved(session, agency)
    fallback = defaults(ctx.settings)
    # Judged against what it replaces at its start and against the newest approved version
    # (a scheduled one it would override): loosening either waits for a commander.
    bases = [in_force_at(approved, effective), approved[-1] if approved else None]
    base_policies = [b.policy if b else fallback for b in bases]
    loosens = sorted({name for base in base_policies for name in rules.loosenings(base, body.policy)})
    number = await repository.next_version(session, agency)
    applies = not loosens
    row = PolicyRow(
        agency=agency,
        version=number,
        policy=body.policy,
        reason=body.reason,
        effective_from=effective,
        loosens=loosens,
        decision="approved" if applies else "pending",
        in_force_from=max(effective, stamp) if applies else None,
        proposed_by=_actor(principal),
        proposed_at=stamp,
        decided_at=stamp if applies else None,
    )
    await repository.create(session, row)
    answer = public(row, [*approved, row] if applies else approved, stamp)
    changed = rules.changed_fields(base_policies[-1], body.policy)
    data = {"effective_from": effective.isoformat(), "loosens": loosens, "changed": changed}
    await _record(ctx, session, principal, Action.AGENCY_POLICY_PROPOSED, answer, body.reason, data)
    return answer


async def _record(
    ctx: SharingContext,
    session: AsyncSession,
    principal: Principal,
    action: Action,
    answer: AgencyPolicyVersion,
    reason: str | None,
    data: Mapping[str, object],
) -> None:
    """A version's proposal or decision on the ledger, in its transaction (issue 16): the agency,
    the version's reference, its number and status, and ``data``."""
    await ctx.ledger.record_change(
        session,
        principal,
        action,
        agency=answer.agency,
        reason=reason,
        targets=[answer.agency, _ref(answer.agency, answer.version)],
        data={"version": answer.version, "status": answer.status.value, **data},
    )


async def decide(
    ctx: SharingContext,
    session: AsyncSession,
    principal: Principal,
    ori: str,
    number: int,
    *,
    approve: bool,
    note: str | None,
) -> AgencyPolicyVersion:
    """A commander of the agency approves or rejects a version that loosens a rule; never its
    proposer (two people, as for a sharing request, R24). Approved, it takes force at its
    ``effective_from``, or now if that has passed. On the ledger."""
    agency = _own(principal, ori)
    await repository.lock_agency(session, agency)
    row = found(await repository.get(session, agency, number))
    if row.proposed_by.sub == principal.sub:
        raise Forbidden("The proposer of a policy change never decides it.")
    approved = await repository.approved(session, agency)
    stamp = now()
    if row.decision != "pending":
        status = status_of(row, approved, stamp).value
        raise Conflict(f"Version {number} is {status}; only a version pending approval is decided.")
    if approve and any(a.version > number for a in approved):
        raise Conflict(f"A newer version than {number} was approved since; propose the change again.")
    decided = row.model_copy(
        update={
            "decision": "approved" if approve else "rejected",
            "in_force_from": max(row.effective_from, stamp) if approve else None,
            "decided_by": _actor(principal),
            "decided_at": stamp,
            "decision_note": note,
        }
    )
    await repository.decide(session, decided)
    answer = public(decided, [*approved, decided] if approve else approved, stamp)
    in_force_from = decided.in_force_from.isoformat() if decided.in_force_from else None
    data = {"loosens": list(row.loosens), "in_force_from": in_force_from, "proposed_by": row.proposed_by.sub}
    action = Action.AGENCY_POLICY_APPROVED if approve else Action.AGENCY_POLICY_REJECTED
    await _record(ctx, session, principal, action, answer, note, data)
    return answer
