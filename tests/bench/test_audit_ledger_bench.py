"""Audit ledger benchmark (`make bench`): append throughput, single and batched, beside raw
INSERT of the same rows into a plain table in the same run (the baseline), and verification
speed. Goals (issue 4): batched append >= 50% of raw INSERT; 1,000,000 events verified < 10 s.
Issue 16: the one-row-per-event_id check costs at most 10% of the ledger's own batched
throughput, measured beside the same appends into a ledger without its unique index.

Sizes: BENCH_APPEND_EVENTS (default 20000), BENCH_VERIFY_EVENTS (default 1000000)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text, insert, text

from alpr_audit.ledger.canonical import GENESIS_HASH, canonical_json, chain_hash, event_document
from alpr_audit.ledger.verification import verify_ledger
from alpr_audit.ledger.writer import LedgerWriter, append_now
from alpr_common import Actor, AuditEventIn, Principal, make_engine
from alpr_devstack.testing import Infra

pytestmark = pytest.mark.bench

APPEND_N = int(os.environ.get("BENCH_APPEND_EVENTS", "20000"))
VERIFY_N = int(os.environ.get("BENCH_VERIFY_EVENTS", "1000000"))
BATCH = 500
SVC = Principal(
    sub="svc-search", name="search", agency="", roles=frozenset({"service"}), client_id="svc-search"
)


def _event(i: int) -> AuditEventIn:
    return AuditEventIn(
        action="search.executed",
        actor=Actor(sub=f"inv-{i % 97}", name="Investigator", agency="CA0019400", roles=["investigator"]),
        occurred_at=datetime.now(UTC),
        purpose="stolen_vehicle",
        case_number=f"2026-{i:06d}",
        data={"plate": f"7ABC{i % 1000:03d}", "from": "2026-11-01T00:00:00Z", "to": "2026-11-24T00:00:00Z"},
        source="search",
        request_id=f"req-{i}",
    )


def _fresh(events: list[AuditEventIn]) -> list[AuditEventIn]:
    """The same events under new ids: each phase appends new events, not repeats of earlier ones."""
    return [e.model_copy(update={"event_id": uuid.uuid4()}) for e in events]


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} events/s"


async def test_append_and_verify_throughput(infra: Infra) -> None:
    db = infra.migrated_database("alpr_audit", prefix="bench")
    engine = make_engine(db, application_name="bench", role="alpr_audit_writer", pool_size=10)
    events = [_event(i) for i in range(APPEND_N)]
    figures: list[tuple[str, str]] = []
    try:
        # Baseline: the same rows (canonical text and hashes precomputed) into a plain table.
        now = datetime.now(UTC)
        prev, rows = GENESIS_HASH, []
        for i, ev in enumerate(events, 1):
            canonical = canonical_json(event_document(ev, sequence=i, recorded_at=now, submitted_by=SVC))
            digest = chain_hash(prev, canonical)
            rows.append({"sequence": i, "canonical": canonical, "prev_hash": prev, "hash": digest})
            prev = digest
        plain = Table(
            "raw_rows",
            MetaData(schema="public"),
            Column("sequence", BigInteger, primary_key=True),
            Column("canonical", Text),
            Column("prev_hash", String(64)),
            Column("hash", String(64)),
        )
        admin = make_engine(db, application_name="bench-admin")
        async with admin.begin() as conn:
            await conn.run_sync(plain.metadata.create_all)
        started = time.perf_counter()
        for start in range(0, APPEND_N, BATCH):
            async with admin.begin() as conn:
                await conn.execute(insert(plain), rows[start : start + BATCH])
        raw = time.perf_counter() - started
        await admin.dispose()
        figures.append(("raw INSERT, plain table, 500/txn (baseline)", _rate(APPEND_N, raw)))

        started = time.perf_counter()
        for start in range(0, APPEND_N, BATCH):
            await append_now(engine, [(events[start : start + BATCH], SVC)])
        batched = time.perf_counter() - started
        figures.append(("ledger append, batches of 500", _rate(APPEND_N, batched)))

        # The same appends into a ledger without the event_id check (issue 16's cost of it).
        ndb = infra.migrated_database("alpr_audit", prefix="benchn")
        nadmin = make_engine(ndb, application_name="bench-admin")
        async with nadmin.begin() as conn:
            await conn.execute(text("DROP INDEX audit.uq_ledger_event_id"))
        await nadmin.dispose()
        nengine = make_engine(ndb, application_name="bench", role="alpr_audit_writer", pool_size=10)

        unchecked_events = _fresh(events)
        started = time.perf_counter()
        for start in range(0, APPEND_N, BATCH):
            await append_now(nengine, [(unchecked_events[start : start + BATCH], SVC)])
        unchecked = time.perf_counter() - started
        await nengine.dispose()
        figures.append(("ledger append, batches of 500, no event_id check", _rate(APPEND_N, unchecked)))
        repeats = _fresh(events[:BATCH])
        await append_now(engine, [(repeats, SVC)])
        started = time.perf_counter()
        await append_now(engine, [(repeats, SVC)])
        repeat_ms = (time.perf_counter() - started) * 1000

        events = _fresh(events)
        started = time.perf_counter()
        for start in range(0, APPEND_N, BATCH * 10):
            await append_now(engine, [(events[start : start + BATCH * 10], SVC)])
        big = time.perf_counter() - started
        figures.append(("ledger append, batches of 5000 (COPY pipelined)", _rate(APPEND_N, big)))

        single_n = min(APPEND_N, 2000)
        events = _fresh(events)
        started = time.perf_counter()
        for ev in events[:single_n]:
            await append_now(engine, [([ev], SVC)])
        single = time.perf_counter() - started
        figures.append(("ledger append, 1 event/txn, one writer", _rate(single_n, single)))

        events = _fresh(events)
        writer = LedgerWriter(engine)
        writer.start()
        started = time.perf_counter()

        async def client(k: int) -> None:
            for ev in events[k : single_n * 4 : 16]:
                await writer.append([ev], SVC)

        await asyncio.gather(*(client(k) for k in range(16)))
        grouped = time.perf_counter() - started
        await writer.stop()
        grouped_n = len(events[: single_n * 4])
        figures.append(
            ("ledger append, 1 event/request, 16 clients, group commit", _rate(grouped_n, grouped))
        )
        ratio = raw / batched
        ratio_big = raw / big

        # Verification: fill a ledger of VERIFY_N events fast (COPY), then recompute it.
        vdb = infra.migrated_database("alpr_audit", prefix="benchv")
        conn = await asyncpg.connect(vdb)
        try:
            prev, seq, chunk = GENESIS_HASH, 0, []
            template = canonical_json(
                event_document(events[0], sequence=0, recorded_at=now, submitted_by=SVC)
            )
            template_id = str(events[0].event_id)
            for _ in range(VERIFY_N):
                seq += 1
                event_id = uuid.uuid4()
                canonical = template.replace('"sequence":0', f'"sequence":{seq}', 1).replace(
                    template_id, str(event_id), 1
                )
                digest = chain_hash(prev, canonical)
                chunk.append((seq, canonical, prev, digest, event_id))
                prev = digest
                if len(chunk) == 50_000:
                    await conn.copy_records_to_table(
                        "ledger",
                        schema_name="audit",
                        records=chunk,
                        columns=["sequence", "canonical", "prev_hash", "hash", "event_id"],
                    )
                    chunk = []
            if chunk:
                await conn.copy_records_to_table(
                    "ledger",
                    schema_name="audit",
                    records=chunk,
                    columns=["sequence", "canonical", "prev_hash", "hash", "event_id"],
                )
            # Steady state: autovacuum would have set hint bits and statistics by now.
            await conn.execute("VACUUM (ANALYZE) audit.ledger")
        finally:
            await conn.close()
        vengine = make_engine(vdb, application_name="bench-verify", role="alpr_audit_writer")
        try:
            started = time.perf_counter()
            async with vengine.connect() as vconn:
                result = await verify_ledger(vconn, frozenset())
            verify_s = time.perf_counter() - started
        finally:
            await vengine.dispose()
        assert result.ok
        assert result.checked == VERIFY_N
        figures.append((f"verify {VERIFY_N:,} events", f"{verify_s:>8.2f} s = {_rate(VERIFY_N, verify_s)}"))
    finally:
        await engine.dispose()

    print("\n\naudit ledger benchmark (same machine, same run)")
    for name, value in figures:
        print(f"  {name:<60} {value}")
    print(
        f"  batched append / raw INSERT = {ratio:.0%} at 500 per transaction, {ratio_big:.0%} at 5000 "
        "(goal >= 50%)"
    )
    cost = 1 - unchecked / batched
    print(
        f"  event_id check: batched append {cost:+.0%} slower than without it "
        f"(goal <= 10%: {'met' if cost <= 0.10 else 'MISSED'}); a repeated batch of {BATCH} answers in "
        f"{repeat_ms:.1f} ms and appends nothing"
    )
    print(f"  verification of {VERIFY_N:,} events: {verify_s:.2f} s (goal < 10 s for 1,000,000)")
