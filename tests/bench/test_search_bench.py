"""Search benchmark (`make bench`): load synthetic detections by COPY (load time reported), then
p50/p95 latency of exact plate, partial plate (`7AB*12`) and time+camera searches through the
API (search and audit as their own processes, every search audited), beside the same SQL (the
text and parameters search sends) run directly over asyncpg in the same run; then the purge of
one day. Goals (issue 8): exact p95 < 50 ms, partial p95 < 300 ms, API at most 1.5x the direct
SQL, one day of 1,000,000 rows purged < 5 s.

A second baseline is the audit append alone (``POST /v1/events`` to the audit service, as search
sends it before results leave: one event per search, naming as many detections as it answered):
every search pays it on top of its SQL (fail closed, R4), so "SQL + audit append" is the floor
under the API's latency, and the printed remainder is what the search service itself adds.

Sizes: BENCH_DETECTIONS (default 10,000,000) over BENCH_DAYS days (default 10)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from alpr_audit.checkpoints.signing import generate_key, private_key_b64
from alpr_common import (
    AgencyPolicy,
    AgencyPolicyVersion,
    PolicyStatus,
    PurgeResult,
    ServiceClients,
    make_engine,
)
from alpr_devstack.components import free_port, spawn_service, stop_pid
from alpr_devstack.testing import Infra, in_transaction, service_principal
from alpr_search.detections.repository import ensure_partitions
from alpr_search.retention.service import purge
from alpr_search.searches.query import SearchSQL, build
from alpr_search.searches.schemas import SearchRequest

pytestmark = pytest.mark.bench

N = int(os.environ.get("BENCH_DETECTIONS", "10000000"))
DAYS = int(os.environ.get("BENCH_DAYS", "10"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "60"))
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
COLUMNS = [
    "id",
    "captured_at",
    "agency",
    "camera_id",
    "latitude",
    "longitude",
    "plate",
    "region",
    "confidence",
    "vehicle",
    "created_at",
]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def _through_api(
    http: httpx.AsyncClient, port: int, headers: dict[str, str], body: dict[str, Any]
) -> tuple[float, int]:
    """The search's latency through the API, and how many results it answered."""
    started = time.perf_counter()
    resp = await http.post(f"http://127.0.0.1:{port}/v1/searches", headers=headers, json=body)
    elapsed = time.perf_counter() - started
    assert resp.status_code == 200, resp.text
    return elapsed, len(resp.json()["items"])


async def _direct_sql(conn: asyncpg.Connection, query: SearchSQL) -> tuple[float, int]:
    """The search's own statement (the text and parameters search sends), straight to PostgreSQL
    over asyncpg: the SQL half of the floor. Also how many rows it found."""
    started = time.perf_counter()
    rows = await conn.fetch(query.text, *query.params)
    return time.perf_counter() - started, len(rows)


def _event(window: dict[str, str], items: int) -> dict[str, Any]:
    """The event search appends for a search that answered ``items`` detections."""
    return {
        "event_id": str(uuid.uuid4()),
        "action": "search.executed",
        "source": "search",
        "actor": {"sub": "inv-bench", "name": "inv-bench", "agency": "CA0019400", "roles": ["investigator"]},
        "agency": "CA0019400",
        "purpose": "stolen_vehicle",
        "case_number": "2026-000001",
        "data": {**window, "search_id": str(uuid.uuid4()), "results": items},
        "targets": [str(uuid.uuid4()) for _ in range(items)],
    }


async def _append(http: httpx.AsyncClient, url: str, token: str, event: dict[str, Any]) -> float:
    """One audit append alone (``POST /v1/events``, one event): the audit half of the floor."""
    started = time.perf_counter()
    resp = await http.post(url, headers={"Authorization": f"Bearer {token}"}, json={"events": [event]})
    elapsed = time.perf_counter() - started
    assert resp.status_code == 201, resp.text
    return elapsed


async def test_search_latency_and_purge(infra: Infra, tmp_path: Path) -> None:
    rng = random.Random(8)
    db = infra.migrated_database("alpr_search", "alpr_audit", prefix="benchsearch")
    cameras = [uuid.uuid4() for _ in range(200)]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    days = {(start + timedelta(days=d)).date() for d in range(DAYS + 1)}
    await in_transaction(db, lambda session: ensure_partitions(session, days))
    conn = await asyncpg.connect(db)
    try:
        started = time.perf_counter()
        # Rows made by the server and the indexes built once at the end (as a restore would):
        # 10,000,000 rows load in minutes, not the 20 they took row by row through COPY with the
        # trigram index kept up to date on every row.
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'search' "
            "AND tablename = 'detections' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX search."{index["indexname"]}"')
        span = (end - start).total_seconds()
        await conn.execute("SELECT setseed($1)", 0.8)
        step = 500_000
        for first in range(0, N, step):
            await conn.execute(
                f"""INSERT INTO search.detections ({", ".join(COLUMNS)})
                SELECT gen_random_uuid(), $1::timestamptz + random() * $2 * interval '1 second',
                       'CA0019400', ($3::uuid[])[1 + floor(random() * array_length($3::uuid[], 1))::int],
                       37.3 + random() / 10, -121.9 + random() / 10,
                       (1 + floor(random() * 9))::int::text
                         || substr($4, 1 + floor(random() * length($4))::int, 1)
                         || substr($4, 1 + floor(random() * length($4))::int, 1)
                         || substr($4, 1 + floor(random() * length($4))::int, 1)
                         || lpad(floor(random() * 1000)::int::text, 3, '0'),
                       'CA', 0.9, '{{}}'::jsonb, now()
                FROM generate_series(1, $5)""",
                start,
                span,
                cameras,
                LETTERS,
                min(step, N - first),
            )
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for index in indexes:
            # pg_indexes writes a partitioned index as `ON ONLY` (the parent alone): built on every
            # partition here.
            await conn.execute(index["indexdef"].replace(" ON ONLY ", " ON ", 1))
        await conn.execute("ANALYZE search.detections")
        load_s = time.perf_counter() - started
        plates = [
            row["plate"]
            for row in await conn.fetch(
                "SELECT plate FROM search.detections TABLESAMPLE SYSTEM ($1) REPEATABLE (8) LIMIT 2000",
                min(100.0, 100 * 20_000 / N),
            )
        ]
    finally:
        await conn.close()

    # Search and audit as processes of their own.
    secret = infra.register_client("svc-search-bench", roles=["service"])
    audit_port, search_port = free_port(), free_port()
    common = {
        "DATABASE_URL": db,
        "S3_ENDPOINT": infra.s3_endpoint,
        "S3_ACCESS_KEY": infra.s3_access_key,
        "S3_SECRET_KEY": infra.s3_secret_key,
        "OIDC_ISSUER": infra.issuer_url,
        "LOG_LEVEL": "WARNING",
        "AUDIT_URL": f"http://127.0.0.1:{audit_port}",
    }
    procs = []
    try:
        for name, port, extra in (
            ("audit", audit_port, {"AUDIT_SIGNING_KEY": private_key_b64(generate_key())}),
            (
                "search",
                search_port,
                {
                    "SEARCH_CLIENT_ID": "svc-search-bench",
                    "SEARCH_CLIENT_SECRET": secret,
                    "SEARCH_MAX_SEARCH_DAYS": str(DAYS + 1),
                    # Issue 17: the bench measures plate searches across every camera, which the default
                    # warrant-style tiers would refuse without a supervisor's approval.
                    "SEARCH_DEFAULT_TIERS": "[]",
                },
            ),
        ):
            procs.append(spawn_service(name, port, tmp_path / f"{name}.log", {**common, **extra}))
        token = infra.mint(sub="inv-bench", roles=["investigator"], ttl=3600)
        headers = {"Authorization": f"Bearer {token}"}
        window = {"from": start.isoformat(), "to": end.isoformat()}
        kinds: dict[str, list[dict[str, Any]]] = {
            "exact plate": [{"plate": rng.choice(plates), **window} for _ in range(QUERIES)],
            "partial plate (7AB*12)": [
                {"plate": f"{p[:3]}*{p[-2:]}", **window} for p in (rng.choice(plates) for _ in range(QUERIES))
            ],
            "time + camera (1 day)": [
                {
                    "camera_ids": [str(rng.choice(cameras))],
                    "from": (end - timedelta(days=1)).isoformat(),
                    "to": end.isoformat(),
                }
                for _ in range(QUERIES)
            ],
        }
        results: dict[str, tuple[list[float], list[float]]] = {}
        counts: dict[str, list[int]] = {}
        cpu: dict[str, tuple[float, float]] = {}
        direct_conn = await asyncpg.connect(db, server_settings={"application_name": "bench-direct"})
        async with httpx.AsyncClient(timeout=60) as http:
            await http.post(
                f"http://127.0.0.1:{search_port}/v1/searches",
                headers=headers,
                json={
                    "purpose": "stolen_vehicle",
                    "case_number": "2026-000001",
                    **window,
                    "plate": "WARMUP1",
                },
            )
            # The audit append alone, as search records each search (the floor's second part): one
            # event naming as many detections as the search answered (a time + camera search's
            # event names its 50 results, an exact plate's one or two). Measured twice: in step
            # with the searches (each kind's own conditions: the audit process and PostgreSQL
            # just did that search's other work, as when search appends), and in a tight loop of
            # appends only afterwards (everything warm; printed beside it).
            service_token = infra.mint(
                sub="svc-search-bench", roles=["service"], client_id="svc-search-bench", agency="", ttl=3600
            )
            events_url = f"http://127.0.0.1:{audit_port}/v1/events"
            appends: dict[str, list[float]] = {}
            for kind, bodies in kinds.items():
                api, direct, found, appends[kind] = [], [], [], []
                cpu_before = _cpu_s(procs[1].pid), _cpu_s(procs[0].pid)
                for n, body in enumerate(bodies):
                    full = {"purpose": "stolen_vehicle", "case_number": "2026-000001", "limit": 50, **body}
                    query = build("CA0019400", SearchRequest.model_validate(full), None, 51)
                    # Whichever runs second finds the pages the first one read in the cache:
                    # the order alternates, so neither side always gets the warm cache.
                    if n % 2 == 0:
                        elapsed, items = await _through_api(http, search_port, headers, full)
                        sql_s, _ = await _direct_sql(direct_conn, query)
                        append_s = await _append(http, events_url, service_token, _event(window, items))
                    else:
                        sql_s, rows = await _direct_sql(direct_conn, query)
                        append_s = await _append(
                            http, events_url, service_token, _event(window, min(rows, 50))
                        )
                        elapsed, items = await _through_api(http, search_port, headers, full)
                    api.append(elapsed)
                    direct.append(sql_s)
                    appends[kind].append(append_s)
                    found.append(items)
                results[kind] = (api, direct)
                counts[kind] = found
                cpu[kind] = tuple(  # type: ignore[assignment]
                    (_cpu_s(p.pid) - b) / len(bodies) * 1000
                    for p, b in zip((procs[1], procs[0]), cpu_before, strict=True)
                )
            warm_appends = {
                kind: [
                    await _append(http, events_url, service_token, _event(window, items)) for items in found
                ]
                for kind, found in counts.items()
            }
        await direct_conn.close()
    finally:
        for proc in procs:
            stop_pid(proc.pid)
            proc.wait(10)

    # Purge: the oldest whole day goes (partition drop); images via a stub ingest that answers.
    per_day = N // DAYS
    engine = make_engine(db, application_name="bench-purge")
    actor = service_principal("svc-search-bench", "purge")

    class _Ingest:
        async def purge_frames(
            self, agency: str, before: datetime, keep_keys: list[str], keep_crops: list[str] | None = None
        ) -> PurgeResult:
            return PurgeResult(frames=0, reads=0, objects=0)

        async def get_model(self, path: str, model: type[Any]) -> Any:  # GET /v1/frames:oldest
            return model.model_validate({"items": []})

    class _Audit:
        async def record(self, *events: Any) -> list[Any]:
            return []

    class _Sharing:  # the agency has no policy of its own: the period given here applies
        async def agency_policy(self, agency: str, at: datetime | None = None) -> AgencyPolicyVersion:
            default = PolicyStatus.DEFAULT
            return AgencyPolicyVersion(agency=agency, version=0, status=default, policy=AgencyPolicy())

    clients: Any = type("Clients", (), {"ingest": _Ingest(), "audit": _Audit(), "sharing": _Sharing()})()
    first_day_end = datetime.combine((start + timedelta(days=1)).date(), datetime.min.time(), UTC)
    started = time.perf_counter()
    async with engine.begin() as c:
        report = await purge(c, clients, actor, retention_days=0, now=first_day_end)
    purge_s = time.perf_counter() - started
    await engine.dispose()
    assert not isinstance(clients, ServiceClients)

    print(
        f"\n\nsearch benchmark: {N:,} detections over {DAYS} days, 200 cameras; {QUERIES} searches per kind"
    )
    print(
        f"  load (server-made rows, then indexes): {load_s:.1f} s ({N / load_s:,.0f} rows/s, incl. indexes)"
    )
    for kind, (api, direct) in results.items():
        append_p50 = _pct(appends[kind], 50)
        warm_p50 = _pct(warm_appends[kind], 50)
        ratio = statistics.median(api) / max(statistics.median(direct), 1e-6)
        floor = _pct(direct, 50) + append_p50
        print(
            f"  {kind:<24} API p50 {_pct(api, 50):7.1f} ms  p95 {_pct(api, 95):7.1f} ms | direct SQL p50 "
            f"{_pct(direct, 50):7.1f} ms  p95 {_pct(direct, 95):7.1f} ms | API/SQL (p50) {ratio:4.1f}x | "
            f"{statistics.median(counts[kind]):.0f} results (median)"
        )
        print(
            f"  {'':<24} audit append alone (POST /v1/events, same targets) p50 {append_p50:5.1f} ms in step "
            f"with the searches ({warm_p50:5.1f} ms in a loop of appends only) | floor SQL + audit "
            f"{floor:5.1f} ms ({floor / max(_pct(direct, 50), 1e-3):4.1f}x), search adds "
            f"{_pct(api, 50) - floor:5.1f} ms ({_pct(api, 50) - _pct(direct, 50) - warm_p50:5.1f} ms above "
            f"the looped append) | CPU: search {cpu[kind][0]:4.1f} ms per search, audit "
            f"{cpu[kind][1] / 2:4.1f} ms per append"
        )
    print(
        f"  purge of the oldest day ({report.detections:,} rows, {len(report.partitions)} partition(s) "
        f"dropped): {purge_s:.2f} s (about {per_day:,} rows per day)"
    )
    print(
        "  goals: exact p95 < 50 ms, partial p95 < 300 ms, API <= 1.5x SQL, purge of 1,000,000 rows/day < 5 s"
    )
    # Issue 16: what search adds above its floor, at most 4 ms p50 for these two kinds.
    adds = {
        kind: _pct(results[kind][0], 50) - (_pct(results[kind][1], 50) + _pct(appends[kind], 50))
        for kind in ("exact plate", "time + camera (1 day)")
    }
    verdict = "met" if all(v <= 4.0 for v in adds.values()) else "MISSED"
    figures = ", ".join(f"{kind} {value:.1f} ms" for kind, value in adds.items())
    print(f"  search adds <= 4 ms p50 (issue 16): {verdict} ({figures})")
    await asyncio.sleep(0)
