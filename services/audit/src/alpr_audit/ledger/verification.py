"""Recomputing the chain: the same rules for the live database and for an exported file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from ..checkpoints import repository as checkpoints
from ..checkpoints.repository import CheckpointRow
from ..checkpoints.signing import checkpoint_message, signature_valid
from . import repository


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    sequence: int
    hash: str
    signature: str
    public_key: str
    created_at_message: bytes

    @classmethod
    def of(cls, row: CheckpointRow) -> CheckpointRecord:
        message = checkpoint_message(row.sequence, row.hash, row.created_at)
        return cls(row.sequence, row.hash, row.signature, row.public_key, message)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_sequence: int | None


class ChainChecker:
    """Feeds rows in sequence order; stops at the first row that does not hold."""

    def __init__(
        self,
        first: int,
        prev_hash: str,
        checkpoint_records: Mapping[int, CheckpointRecord],
        trusted_keys: frozenset[str],
    ) -> None:
        self.expected = first
        self.prev = prev_hash
        self.checkpoints = checkpoint_records
        self.trusted = trusted_keys
        self.checked = 0
        self.broken: int | None = None

    def feed(self, rows: Iterable[tuple[int, str, str, str]]) -> bool:
        """False once a break is found. The loop is the verifier's hot path: locals only."""
        prev, expected, cps = self.prev, self.expected, self.checkpoints
        sha256, unhex = hashlib.sha256, bytes.fromhex
        checked = 0
        for sequence, canonical, prev_hash, digest in rows:
            if (
                sequence != expected
                or prev_hash != prev
                or sha256(unhex(prev) + canonical.encode()).hexdigest() != digest
                or (cps and sequence in cps and not self.checkpoint_holds(cps[sequence], digest))
            ):
                self.broken = expected if sequence != expected else sequence
                self.prev, self.expected, self.checked = prev, expected, self.checked + checked
                return False
            prev = digest
            expected += 1
            checked += 1
        self.prev, self.expected, self.checked = prev, expected, self.checked + checked
        return True

    def checkpoint_holds(self, cp: CheckpointRecord, digest: str) -> bool:
        return (
            cp.hash == digest
            and cp.public_key in self.trusted
            and signature_valid(cp.public_key, cp.created_at_message, cp.signature)
        )

    def finish(self, last: int) -> VerifyResult:
        if self.broken is None and self.expected <= last:
            self.broken = self.expected  # rows missing before the range's end
        if self.broken is None:
            beyond = [s for s in self.checkpoints if s >= self.expected]
            if beyond:  # a signed checkpoint names events that are no longer there
                self.broken = self.expected
        return VerifyResult(self.broken is None, self.checked, self.broken)


async def load_checkpoints(conn: AsyncConnection, first: int) -> dict[int, CheckpointRecord]:
    return {r.sequence: CheckpointRecord.of(r) for r in await checkpoints.from_sequence(conn, first)}


async def verify_ledger(
    conn: AsyncConnection, trusted_keys: frozenset[str], first: int | None = None, last: int | None = None
) -> VerifyResult:
    """Recomputes the chain over ``[first, last]`` (default: all of it) and checks every signed
    checkpoint in it; answers the first sequence that does not hold. Checked to its end, a
    checkpoint past the last stored event also counts: events were removed from the tail."""
    lo, hi = await repository.bounds(conn)
    start = await repository.base(conn)
    lo = lo or start.sequence + 1
    first = max(first or lo, lo)
    last = hi if last is None or last >= hi else last
    cps = await load_checkpoints(conn, first)
    if last < hi:
        cps = {s: c for s, c in cps.items() if s <= last}
    prev = await repository.hash_at(conn, first - 1)
    if prev is None:
        return VerifyResult(False, 0, first)
    checker = ChainChecker(first, prev, cps, trusted_keys)
    if start.sequence and first == start.sequence + 1:
        # The chain starts after pruned events: its start must be a signed checkpoint (R20).
        anchor = (await load_checkpoints(conn, start.sequence)).get(start.sequence)
        if anchor is None or not checker.checkpoint_holds(anchor, start.hash):
            return VerifyResult(False, 0, first)
    if first <= last:
        async for chunk in repository.stream_chain(conn, first, last):
            if not checker.feed(chunk):
                break
    return checker.finish(last)
