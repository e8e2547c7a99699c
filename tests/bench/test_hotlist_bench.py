"""Hotlist benchmark (`make bench`): 1,000,000 entries loaded by COPY, then reads matched per
second through `POST /v1/matches` (batches of 100, hotlist and audit as processes of their own,
every alert audited) beside the same matching run in-process (the query alone, no HTTP, no
audit: the named baseline), and read-to-SSE alert latency p50/p99. Goals (issue 7): at least
20,000 reads/s through the API on this machine; alert latency p99 under 250 ms.

Sizes: BENCH_ENTRIES (default 1,000,000), BENCH_READ_BATCHES (default 2,000 of 100 reads),
BENCH_HIT_RATE (default 0.002: about one read in 500 is on a list), BENCH_CONCURRENCY
(default 8), BENCH_ALERTS (default 200), BENCH_WORKERS (uvicorn worker processes, default 1)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from alpr_common import MatchRead, make_engine, make_sessionmaker
from alpr_devstack.components import free_port, spawn_service, stop_pid
from alpr_devstack.testing import Infra, audit_signing_key, match_read
from alpr_hotlist.matching.keys import match_key
from alpr_hotlist.matching.service import find

pytestmark = pytest.mark.bench

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
BATCHES = int(os.environ.get("BENCH_READ_BATCHES", "2000"))
HIT_RATE = float(os.environ.get("BENCH_HIT_RATE", "0.002"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
ALERTS = int(os.environ.get("BENCH_ALERTS", "200"))
AGENCY = "CA0019400"
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
COLUMNS = [
    "id", "hotlist_id", "agency", "origin", "plate", "match_key", "state", "vehicle", "status",
    "shareable", "refreshed_at", "created_at", "updated_at",
]  # fmt: skip


def _plate(rng: random.Random) -> str:
    return f"{rng.randrange(1, 10)}{''.join(rng.choice(LETTERS) for _ in range(3))}{rng.randrange(1000):03d}"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its worker children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(_cpu_seconds(int(child)) for child in children)


async def _load(db: str, rng: random.Random) -> tuple[list[str], float]:
    """Entries by COPY into one alerting list; answers the plates and the load time."""
    conn = await asyncpg.connect(db)
    try:
        hotlist_id = uuid.uuid4()
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO hotlist.hotlists VALUES ($1, $2, 'NCIC stolen (bench)', 'ncic_stolen_vehicle', 1,"
            " true, '{}'::jsonb, $3, $3)",
            hotlist_id,
            AGENCY,
            now,
        )
        started = time.perf_counter()
        plates: list[str] = []
        chunk: list[tuple[Any, ...]] = []
        for _ in range(ENTRIES):
            plate = _plate(rng)
            plates.append(plate)
            chunk.append(
                (uuid.uuid4(), hotlist_id, AGENCY, "local", plate, match_key(plate), "CA", "{}", "active",
                 False, now, now, now)
            )  # fmt: skip
            if len(chunk) == 100_000:
                await conn.copy_records_to_table(
                    "entries", schema_name="hotlist", records=chunk, columns=COLUMNS
                )
                chunk = []
        if chunk:
            await conn.copy_records_to_table("entries", schema_name="hotlist", records=chunk, columns=COLUMNS)
        await conn.execute("VACUUM ANALYZE hotlist.entries")  # steady state: no autovacuum mid-run
        return plates, time.perf_counter() - started
    finally:
        await conn.close()


async def test_matching_throughput_and_alert_latency(infra: Infra, tmp_path: Path) -> None:
    rng = random.Random(11)
    db = infra.migrated_database("alpr_hotlist", "alpr_audit", prefix="benchhotlist")
    plates, load_s = await _load(db, rng)
    camera = str(uuid.uuid4())

    def batch() -> list[dict[str, Any]]:
        return [
            match_read(rng.choice(plates) if rng.random() < HIT_RATE else _plate(rng), camera_id=camera)
            for _ in range(100)
        ]

    batches = [batch() for _ in range(BATCHES)]

    # Baseline: the matching query in-process (no HTTP, no token, no alert writes, no audit).
    engine = make_engine(db, application_name="bench-inprocess")
    sessions = make_sessionmaker(engine)
    models = [[MatchRead.model_validate(r) for r in b] for b in batches[:100]]
    started = time.perf_counter()
    for reads in models:
        async with sessions() as session:
            await find(session, reads)
    inprocess_rate = 100 * len(models) / (time.perf_counter() - started)
    await engine.dispose()

    secret = infra.register_client("svc-hotlist-bench", roles=["service"])
    audit_port, hotlist_port = free_port(), free_port()
    common = infra.process_env(db, audit_port=audit_port)
    procs = []
    try:
        for name, port, extra in (
            ("audit", audit_port, {"AUDIT_SIGNING_KEY": audit_signing_key()}),
            (
                "hotlist",
                hotlist_port,
                {
                    "HOTLIST_CLIENT_ID": "svc-hotlist-bench",
                    "HOTLIST_CLIENT_SECRET": secret,
                    "HOTLIST_SCHEDULER": "false",
                },
            ),
        ):
            workers = WORKERS if name == "hotlist" else 1
            procs.append(
                spawn_service(name, port, tmp_path / f"{name}.log", {**common, **extra}, workers=workers)
            )
        base = f"http://127.0.0.1:{hotlist_port}"
        service = {"Authorization": f"Bearer {infra.mint(sub='svc-ingest', roles=['service'], ttl=3600)}"}
        officer = {"Authorization": f"Bearer {infra.mint(sub='op-bench', roles=['operator'], ttl=3600)}"}
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
            await http.post(f"{base}/v1/matches", json={"reads": batches[0]}, headers=service)  # warm-up
            # Bodies encoded up front: the load generator shares this machine's two cores.
            queue = [json.dumps({"reads": reads}).encode() for reads in batches]
            posting = {**service, "Content-Type": "application/json"}

            async def worker() -> None:
                while queue:
                    body = queue.pop()
                    resp = await http.post(f"{base}/v1/matches", content=body, headers=posting)
                    assert resp.status_code == 200, resp.text

            cpu_before, own_before = _cpu_seconds(procs[1].pid), time.process_time()
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            api_rate = 100 * BATCHES / (time.perf_counter() - started)
            elapsed = time.perf_counter() - started
            hotlist_cpu = _cpu_seconds(procs[1].pid) - cpu_before
            per_core = 100 * BATCHES / max(hotlist_cpu, 1e-6)
            generator_cores = (time.process_time() - own_before) / elapsed
            conn = await asyncpg.connect(db)
            try:
                alerts_made = int(await conn.fetchval("SELECT count(*) FROM hotlist.alerts"))
            finally:
                await conn.close()
            hotlist_cores = hotlist_cpu / elapsed

            # Read-to-SSE latency: one matching read at a time, timed until its event arrives.
            arrived: dict[str, float] = {}

            async def listen() -> None:
                async with http.stream("GET", f"{base}/v1/alerts/stream", headers=officer) as resp:
                    async for line in resp.aiter_lines():
                        if line.startswith("data: "):
                            arrived[json.loads(line[6:])["read_id"]] = time.perf_counter()

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.5)
            latencies: list[float] = []
            for _ in range(ALERTS):
                r = match_read(rng.choice(plates), camera_id=camera)
                sent = time.perf_counter()
                resp = await http.post(f"{base}/v1/matches", json={"reads": [r]}, headers=service)
                assert resp.status_code == 200
                deadline = sent + 5
                while r["read_id"] not in arrived and time.perf_counter() < deadline:
                    await asyncio.sleep(0.001)
                latencies.append(arrived.get(r["read_id"], deadline) - sent)
            listener.cancel()
    finally:
        for proc in procs:
            stop_pid(proc.pid)
            proc.wait(10)

    print(
        f"\n\nhotlist benchmark: {ENTRIES:,} entries; {BATCHES} batches of 100 reads, hit rate {HIT_RATE:.1%}"
    )
    print(f"  load by COPY: {load_s:.1f} s ({ENTRIES / load_s:,.0f} entries/s, incl. indexes)")
    print(f"  in-process matching (baseline: the query alone): {inprocess_rate:,.0f} reads/s")
    print(
        f"  POST /v1/matches, {WORKERS} hotlist process(es), {CONCURRENCY} concurrent clients, alerts "
        f"audited: {api_rate:,.0f} reads/s "
        f"({api_rate / inprocess_rate:.2f}x the in-process rate); {alerts_made:,} alerts made "
        f"({alerts_made / (100 * (BATCHES + 1)):.2%} of reads: listed plates and OCR-confusable look-alikes)"
    )
    print(
        f"  read-to-SSE alert latency over {ALERTS} alerts: p50 {_pct(latencies, 50):.1f} ms, "
        f"p99 {_pct(latencies, 99):.1f} ms, max {max(latencies) * 1000:.1f} ms (mean "
        f"{statistics.mean(latencies) * 1000:.1f} ms)"
    )
    print(
        f"  hotlist process CPU: {per_core:,.0f} reads per CPU-second (what one core of its own would "
        f"carry); it used {hotlist_cores:.2f} cores, the load generator {generator_cores:.2f}, audit and "
        f"PostgreSQL the rest of this machine's {os.cpu_count()}"
    )
    print("  goals: >= 20,000 reads/s through the API; alert latency p99 < 250 ms")
    assert len(latencies) == ALERTS
