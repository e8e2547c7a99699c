"""Local hotlist entries (R12): entered by a member with a case number and synopsis, `pending`
until an administrator approves; a later change waits for a supervisor's approval while the
entry matches as it was. Nobody approves their own entry or change. Every step is audited."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alpr_common import (
    Action,
    AfterId,
    Conflict,
    Forbidden,
    Page,
    Person,
    Principal,
    Role,
    SharedEntries,
    ValidationProblem,
    audit_event,
    decode_cursor,
    found,
    next_cursor,
)

from ..clock import now
from ..context import HotlistContext
from ..hotlists import service as hotlists
from ..matching.keys import plate_for_entry
from ..vocabulary import EntryStatus, Origin
from . import repository
from .repository import EntryRow
from .schemas import Decision, EntryCreate, EntryPublic, EntryUpdate, PendingUpdate

MIN_LITERALS = 3  # a wildcard entry names at least this many characters: `*` alone would match every car


def public(row: EntryRow) -> EntryPublic:
    entry = EntryPublic.model_validate(row, from_attributes=True)
    if entry.status == EntryStatus.ACTIVE and row.expires_at is not None and row.expires_at <= now():
        return entry.model_copy(update={"status": EntryStatus.EXPIRED})
    return entry


def _person(principal: Principal) -> dict[str, str]:
    return {"sub": principal.sub, "name": principal.name}


def _checked_plate(text: str) -> tuple[str, str | None, str | None]:
    """The entry's plate, its folded match key and its pattern (a wildcard entry's), checked."""
    plate, key, pattern = plate_for_entry(text)
    literals = sum(c.isalnum() for c in plate)
    if literals == 0:
        raise ValidationProblem("The plate has no letters or digits.")
    if pattern is not None and literals < MIN_LITERALS:
        raise ValidationProblem(f"A partial plate names at least {MIN_LITERALS} characters.")
    if len(plate) > 16:
        raise ValidationProblem("The plate is longer than 16 characters.")
    return plate, key, pattern


def _check_case(ctx: HotlistContext, case_number: str) -> None:
    if not re.fullmatch(ctx.settings.case_number_pattern, case_number):
        raise ValidationProblem("The case number does not have the agency's format.")


def _audit_data(row: EntryRow, **extra: Any) -> dict[str, Any]:
    return {
        "hotlist_id": str(row.hotlist_id),
        "plate": row.plate,
        "state": row.state,
        "case_number": row.case_number,
        **extra,
    }


async def create(
    ctx: HotlistContext, session: AsyncSession, principal: Principal, hotlist_id: uuid.UUID, body: EntryCreate
) -> EntryPublic:
    await hotlists.require(session, principal, hotlist_id)
    _check_case(ctx, body.case_number)
    stamp = now()
    expires_at = body.expires_at or stamp + timedelta(days=ctx.settings.local_entry_days)
    if expires_at <= stamp:
        raise ValidationProblem("The expiry lies in the past.")
    plate, match_key, pattern = _checked_plate(body.plate)
    row = EntryRow(
        id=uuid.uuid4(),
        hotlist_id=hotlist_id,
        agency=principal.agency,
        origin=Origin.LOCAL.value,
        plate=plate,
        match_key=match_key,
        pattern=pattern,
        state=body.state,
        plate_type=body.plate_type,
        vehicle=body.vehicle.model_dump(exclude_none=True),
        reason=body.reason,
        case_number=body.case_number,
        synopsis=body.synopsis,
        expires_at=expires_at,
        shareable=body.shareable,
        status=EntryStatus.PENDING.value,
        entered_by=_person(principal),
        refreshed_at=stamp,
        created_at=stamp,
        updated_at=stamp,
    )
    await repository.create(session, row)
    data = _audit_data(row, synopsis=body.synopsis, expires_at=expires_at.isoformat())
    targets = [str(row.id)]
    await ctx.ledger.record_change(
        session,
        principal,
        Action.HOTLIST_ENTRY_CREATED,
        case_number=row.case_number,
        targets=targets,
        data=data,
    )
    return await get(session, principal, hotlist_id, row.id)


async def get(
    session: AsyncSession, principal: Principal, hotlist_id: uuid.UUID, entry_id: uuid.UUID
) -> EntryPublic:
    return public(await _require(session, principal, hotlist_id, entry_id))


async def view(
    ctx: HotlistContext,
    session: AsyncSession,
    principal: Principal,
    hotlist_id: uuid.UUID,
    entry_id: uuid.UUID,
) -> EntryPublic:
    """One entry (a plate and why it is wanted): recorded before it leaves (issue 16)."""
    entry = await get(session, principal, hotlist_id, entry_id)
    await _record_view(ctx, principal, hotlist_id, [entry.id], {})
    return entry


async def _record_view(
    ctx: HotlistContext,
    principal: Principal,
    hotlist_id: uuid.UUID,
    entry_ids: list[uuid.UUID],
    data: dict[str, Any],
) -> None:
    targets = [str(hotlist_id), *(str(i) for i in entry_ids)]
    event = audit_event(principal, Action.HOTLIST_ENTRY_VIEWED, source="hotlist", targets=targets, data=data)
    await ctx.clients.audit.record(event)


async def _require(
    session: AsyncSession,
    principal: Principal,
    hotlist_id: uuid.UUID,
    entry_id: uuid.UUID,
    *,
    lock: bool = False,
) -> EntryRow:
    await hotlists.require(session, principal, hotlist_id)
    return found(await repository.get(session, hotlist_id, entry_id, lock=lock))


async def list_entries(
    ctx: HotlistContext,
    session: AsyncSession,
    principal: Principal,
    hotlist_id: uuid.UUID,
    *,
    status: EntryStatus | None,
    plate: str | None,
    awaiting_approval: bool,
    limit: int,
    cursor: str | None,
) -> Page[EntryPublic]:
    await hotlists.require(session, principal, hotlist_id)
    position = decode_cursor(cursor, AfterId)
    rows = await repository.list_page(
        session,
        hotlist_id,
        status=status.value if status else None,
        plate=plate_for_entry(plate)[0] if plate else None,
        awaiting_approval=awaiting_approval,
        now=now(),
        after=position.after if position else None,
        limit=limit + 1,
    )
    items = [public(r) for r in rows[:limit]]
    filters = {
        "status": status.value if status else None,
        "plate": plate,
        "awaiting_approval": awaiting_approval,
    }
    await _record_view(
        ctx,
        principal,
        hotlist_id,
        [i.id for i in items],
        {"list": True, "results": len(items), **{k: v for k, v in filters.items() if v}},
    )
    return Page[EntryPublic](
        items=items, next_cursor=next_cursor(rows, items, limit, lambda last: AfterId(after=last.id))
    )


def _changes(ctx: HotlistContext, body: EntryUpdate) -> dict[str, Any]:
    changes = body.model_dump(mode="json", exclude_unset=True)
    for required in ("plate", "state", "case_number", "synopsis", "shareable"):
        if required in changes and changes[required] is None:
            raise ValidationProblem(f"`{required}` cannot be cleared.")
    if "plate" in changes:
        _checked_plate(changes["plate"])
    if "case_number" in changes:
        _check_case(ctx, changes["case_number"])
    if changes.get("expires_at") is not None and body.expires_at is not None and body.expires_at <= now():
        raise ValidationProblem("The expiry lies in the past.")
    if "vehicle" in changes:
        changes["vehicle"] = {k: v for k, v in (changes["vehicle"] or {}).items() if v is not None}
    if not changes:
        raise ValidationProblem("The update changes nothing.")
    return changes


def _applied(changes: dict[str, Any]) -> dict[str, Any]:
    """Column values of approved changes (the plate re-keyed for matching)."""
    values = dict(changes)
    if "plate" in values:
        values.update(zip(("plate", "match_key", "pattern"), _checked_plate(values["plate"]), strict=True))
    if "expires_at" in values and isinstance(values["expires_at"], str):
        values["expires_at"] = datetime.fromisoformat(values["expires_at"])
    return values


def _local(row: EntryRow) -> None:
    if row.origin != Origin.LOCAL:
        raise Conflict("Entries of a synced list change only through its source.")


async def update(
    ctx: HotlistContext,
    session: AsyncSession,
    principal: Principal,
    hotlist_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: EntryUpdate,
) -> EntryPublic:
    """A pending entry is edited in place by its enterer (it still needs an administrator's
    approval); an active one keeps matching as it was until a supervisor approves the change."""
    row = await _require(session, principal, hotlist_id, entry_id, lock=True)
    _local(row)
    changes = _changes(ctx, body)
    stamp = now()
    if row.status == EntryStatus.PENDING:
        if _entered_by(row) != principal.sub:
            raise Forbidden("Only the member who entered a pending entry may change it before approval.")
        await repository.update_entry(session, entry_id, {**_applied(changes), "updated_at": stamp})
    elif row.status == EntryStatus.ACTIVE:
        if row.pending_update is not None:
            raise Conflict("A change of this entry already awaits approval.")
        pending = {"changes": changes, "by": _person(principal), "at": stamp.isoformat()}
        await repository.update_entry(session, entry_id, {"pending_update": pending, "updated_at": stamp})
    else:
        raise Conflict(f"A {row.status} entry cannot be changed.")
    await ctx.ledger.record_change(
        session,
        principal,
        Action.HOTLIST_ENTRY_UPDATED,
        case_number=changes.get("case_number", row.case_number),
        targets=[str(entry_id)],
        data=_audit_data(row, changes=changes, awaiting_approval=True),
    )
    return await get(session, principal, hotlist_id, entry_id)


def _entered_by(row: EntryRow) -> str:
    """Who entered a local entry (its ``sub``)."""
    return Person.model_validate(row.entered_by).sub


def _pending(row: EntryRow) -> PendingUpdate | None:
    """The change of an active entry awaiting a supervisor's approval, if any."""
    return None if row.pending_update is None else PendingUpdate.model_validate(row.pending_update)


def _decider(row: EntryRow, principal: Principal) -> str:
    """What the decision is about (`entry` or `update`), after the R12 role and person checks."""
    pending = _pending(row)
    if pending is not None:
        if not principal.has_any(Role.SUPERVISOR):
            raise Forbidden("A change of an entry is approved by a supervisor.")
        if pending.by.sub == principal.sub:
            raise Forbidden("Nobody approves their own change.")
        return "update"
    if row.status == EntryStatus.PENDING:
        if not principal.has_any(Role.ALPR_ADMIN):
            raise Forbidden("A new entry is approved by the ALPR administrator.")
        if _entered_by(row) == principal.sub:
            raise Forbidden("Nobody approves their own entry.")
        return "entry"
    raise Conflict("Nothing about this entry awaits a decision.")


async def decide(
    ctx: HotlistContext,
    session: AsyncSession,
    principal: Principal,
    hotlist_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: Decision,
    *,
    approve: bool,
) -> EntryPublic:
    row = await _require(session, principal, hotlist_id, entry_id, lock=True)
    _local(row)
    subject = _decider(row, principal)
    pending = _pending(row)
    stamp = now()
    values: dict[str, Any] = {"updated_at": stamp}
    if subject == "update":
        assert pending is not None  # _decider decides on an update only when one is pending
        if approve:
            values.update(_applied(pending.changes))
            values.update(approved_by=_person(principal), approved_at=stamp)
        values["pending_update"] = None
    elif approve:
        if row.expires_at is not None and row.expires_at <= stamp:
            raise Conflict("The entry expired before it was approved.")
        values.update(status=EntryStatus.ACTIVE.value, approved_by=_person(principal), approved_at=stamp)
    else:
        values.update(status=EntryStatus.REJECTED.value)
    await repository.update_entry(session, entry_id, values)
    await ctx.ledger.record_change(
        session,
        principal,
        Action.HOTLIST_ENTRY_APPROVED if approve else Action.HOTLIST_ENTRY_REJECTED,
        case_number=row.case_number,
        targets=[str(entry_id)],
        data=_audit_data(
            row,
            decided=subject,
            note=body.note,
            entered_by=row.entered_by,
            changes=None if pending is None else pending.changes,
        ),
    )
    return await get(session, principal, hotlist_id, entry_id)


async def shared_entries(
    ctx: HotlistContext, session: AsyncSession, agency: str, limit: int
) -> SharedEntries:
    """What sharing may offer partners whose MOU shares hotlists: the agency's shareable entries
    usable now (R11: a synced one only while fresh)."""
    stamp = now()
    rows = await repository.shared(
        session,
        agency,
        now=stamp,
        fresh_since=stamp - timedelta(hours=ctx.settings.freshness_hours),
        limit=limit,
    )
    return SharedEntries(items=rows)
