"""Where the search service's CPU per search goes (issue 16: what search adds above its floor).

Not a goal check but a measuring tool, run by hand (it is marked ``bench``)::

    .venv/bin/pytest tests/bench/test_search_profile.py -m bench -s -p no:xdist

A small store (PROFILE_DETECTIONS, default 20,000 rows), the audit service as a process of its
own, and the search service as a process of its own run by this file (``python
tests/bench/test_search_profile.py serve PORT PROFILE``): uvicorn under a cProfile switched on
by SIGUSR1 and written out by SIGUSR2. Then:

- CPU per search of the search process (user + system, from ``/proc``, no profiler running),
  PROFILE_ROUNDS rounds (default 5) of PROFILE_QUERIES exact-plate searches (default 200): the
  machine is shared, so process CPU time, not wall time, and the minimum and median of the rounds;
- the same searches once more under cProfile: the top cumulative and own costs (CPU time), and the CPU of
  the audit append (``AuditClient.record``) per search.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import signal
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench

ROWS = int(os.environ.get("PROFILE_DETECTIONS", "20000"))
ROUNDS = int(os.environ.get("PROFILE_ROUNDS", "5"))
QUERIES = int(os.environ.get("PROFILE_QUERIES", "200"))
TOP = int(os.environ.get("PROFILE_TOP", "40"))
# "plate": exact-plate searches (a few results each); "camera": time + camera searches of one
# day, a full page of 50 results each, as the search benchmark's "time + camera" kind.
KIND = os.environ.get("PROFILE_KIND", "plate")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_search_cpu_profile(infra: Any, tmp_path: Path) -> None:
    import asyncpg
    import httpx

    from alpr_devstack.components import free_port, spawn, spawn_service, stop_pid, wait_http_ok
    from alpr_devstack.testing import audit_signing_key, in_transaction
    from alpr_search.detections.repository import ensure_partitions

    db = infra.migrated_database("alpr_search", "alpr_audit", prefix="profsearch")
    cameras = [uuid.uuid4() for _ in range(20)]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=2)
    days = {(start + timedelta(days=d)).date() for d in range(3)}
    await in_transaction(db, lambda session: ensure_partitions(session, days))
    conn = await asyncpg.connect(db)
    try:
        await conn.execute(
            """INSERT INTO search.detections (id, captured_at, agency, camera_id, latitude, longitude,
                   plate, region, confidence, vehicle, created_at)
            SELECT gen_random_uuid(), $1::timestamptz + random() * $2 * interval '1 second', 'CA0019400',
                   ($3::uuid[])[1 + floor(random() * 20)::int], 37.3, -121.9,
                   '7ABC' || lpad(floor(random() * 1000)::int::text, 3, '0'), 'CA', 0.9, '{}'::jsonb, now()
            FROM generate_series(1, $4)""",
            start,
            (end - start).total_seconds(),
            cameras,
            ROWS,
        )
        await conn.execute("ANALYZE search.detections")
    finally:
        await conn.close()

    secret = infra.register_client("svc-search-prof", roles=["service"])
    audit_port, search_port = free_port(), free_port()
    common = infra.process_env(db, audit_port=audit_port)
    prof_path = tmp_path / "search.prof"
    procs = []
    try:
        procs.append(
            spawn_service(
                "audit",
                audit_port,
                tmp_path / "audit.log",
                {**common, "AUDIT_SIGNING_KEY": audit_signing_key()},
            )
        )
        search = spawn(
            [sys.executable, __file__, "serve", str(search_port), str(prof_path)],
            tmp_path / "search.log",
            {
                **common,
                "SEARCH_CLIENT_ID": "svc-search-prof",
                "SEARCH_CLIENT_SECRET": secret,
                "SEARCH_MAX_SEARCH_DAYS": "3",
                # Issue 17: the bench measures plate searches across every camera, which the default
                # warrant-style tiers would refuse without a supervisor's approval.
                "SEARCH_DEFAULT_TIERS": "[]",
            },
        )
        procs.append(search)
        wait_http_ok(f"http://127.0.0.1:{search_port}/healthz", 60, search)
        token = infra.mint(sub="inv-prof", roles=["investigator"], ttl=3600)
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "purpose": "stolen_vehicle",
            "case_number": "2026-000001",
            "from": start.isoformat(),
            "to": end.isoformat(),
            "limit": 50,
        }
        url = f"http://127.0.0.1:{search_port}/v1/searches"
        async with httpx.AsyncClient(timeout=60) as http:
            last_day = {"from": (end - timedelta(days=1)).isoformat(), "to": end.isoformat()}

            async def searches(n: int) -> None:
                for i in range(n):
                    if KIND == "camera":
                        camera = str(cameras[i % len(cameras)])
                        criteria: dict[str, Any] = {**last_day, "camera_ids": [camera]}
                    else:
                        criteria = {"plate": f"7ABC{i % 1000:03d}"}
                    resp = await http.post(url, headers=headers, json={**body, **criteria})
                    assert resp.status_code == 200, resp.text

            await searches(50)  # warm-up: connections, token, JWKS, policy caches
            per_search = []
            audit_per = []
            for _ in range(ROUNDS):
                before, audit_before = _cpu_s(search.pid), _cpu_s(procs[0].pid)
                await searches(QUERIES)
                per_search.append((_cpu_s(search.pid) - before) / QUERIES * 1000)
                audit_per.append((_cpu_s(procs[0].pid) - audit_before) / QUERIES * 1000)
            os.kill(search.pid, signal.SIGUSR1)
            await searches(QUERIES)
            os.kill(search.pid, signal.SIGUSR2)
            deadline = time.monotonic() + 30
            while not (prof_path.exists() and prof_path.with_suffix(".done").exists()):
                assert time.monotonic() < deadline, "the profile was not written"
                time.sleep(0.1)
            appends = await _append_ab(infra, secret, f"http://127.0.0.1:{audit_port}")
    finally:
        for proc in procs:
            stop_pid(proc.pid)
            proc.wait(10)

    print(f"\n\nsearch CPU profile: {ROWS:,} detections, {ROUNDS} rounds of {QUERIES} {KIND} searches")
    print(
        "  CPU per search (search process, no profiler): "
        f"min {min(per_search):.2f} ms, median {statistics.median(per_search):.2f} ms, "
        f"rounds {', '.join(f'{v:.2f}' for v in per_search)}"
    )
    print(f"  CPU per search (audit process): median {statistics.median(audit_per):.2f} ms")
    for way, values in appends.items():
        print(
            f"  CPU per audit append in this process ({way}): min {min(values):.3f} ms, "
            f"median {statistics.median(values):.3f} ms over {len(values)} interleaved rounds"
        )
    stats = pstats.Stats(str(prof_path))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    for (file, _, name), (_, calls, _, cumulative, _) in raw.items():
        if name == "record" and file.endswith("_service_clients.py"):
            per_call = cumulative / QUERIES * 1000
            print(f"  under cProfile: AuditClient.record {per_call:.2f} ms CPU per search ({calls} calls)")
    # A coroutine's cumulative time is unreliable under cProfile (each resumption is a call, and a
    # task's time is not under the request that made it): own time by package is the figure.
    total = sum(v[2] for v in raw.values())
    owners: dict[str, float] = {}
    for (file, _, name), (_, _, own, _, _) in raw.items():
        owners[_owner(file, name)] = owners.get(_owner(file, name), 0.0) + own
    print(f"\n  own CPU by package (under cProfile, {total / QUERIES * 1000:.2f} ms per search in all):")
    for owner, own in sorted(owners.items(), key=lambda kv: -kv[1])[:TOP]:
        print(f"    {own / QUERIES * 1000:6.3f} ms {100 * own / total:5.1f} %  {owner}")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(str(prof_path), stream=out).sort_stats(order).print_stats(TOP)
        print(f"\n  top {TOP} by {order} (under cProfile, {QUERIES} searches):")
        print(out.getvalue())


async def _append_ab(infra: Any, secret: str, audit_url: str) -> dict[str, list[float]]:
    """CPU (this process's) per ``AuditClient.record`` over httpx's client and over the app's
    ``ServiceTransport``, in interleaved rounds against the same audit process."""
    import httpx

    from alpr_common import Action, AuditClient, ClientCredentials, Principal, audit_event
    from alpr_common._clients import ServiceTransport
    from alpr_common._observability import configure_tracing

    configure_tracing("profile")  # httpx instrumented as in a service
    actor = Principal(sub="inv-prof", name="inv-prof", agency="CA0019400", roles=frozenset({"investigator"}))
    timeout = httpx.Timeout(10.0, connect=3.0)
    transport = ServiceTransport(timeout)
    results: dict[str, list[float]] = {"httpx.AsyncClient": [], "ServiceTransport": []}
    async with httpx.AsyncClient(timeout=timeout) as http:
        credentials = ClientCredentials(
            issuer=infra.issuer_url, client_id="svc-search-prof", client_secret=secret, http=http
        )
        ways = {
            "httpx.AsyncClient": AuditClient(audit_url, http=http, credentials=credentials),
            "ServiceTransport": AuditClient(
                audit_url, http=http, credentials=credentials, transport=transport
            ),
        }
        for _ in range(ROUNDS * 2):
            for way, client in ways.items():
                events = [
                    audit_event(actor, Action.SEARCH_EXECUTED, source="search", data={"plate": "7ABC123"})
                    for _ in range(QUERIES)
                ]
                started = time.process_time()
                for event in events:
                    await client.record(event)
                results[way].append((time.process_time() - started) / QUERIES * 1000)
    await transport.aclose()
    return results


def _owner(file: str, name: str) -> str:
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/libs/common/" in file:
        return "alpr_common/" + file.rsplit("/", 1)[-1]
    if "/services/" in file:
        return "service " + file.split("/services/", 1)[1].split("/", 1)[0]
    if file == "~":
        return "builtin " + name[:60]
    return "stdlib " + file.rsplit("/", 1)[-1]


def _serve(port: int, out: Path) -> None:
    """The search service under uvicorn; SIGUSR1 starts the profiler, SIGUSR2 writes it out."""
    import uvicorn

    from alpr_search.app import create_app

    profiler = cProfile.Profile(time.process_time)  # CPU, not wall time: the machine is shared

    def on(_signum: int, _frame: Any) -> None:
        profiler.enable()

    def off(_signum: int, _frame: Any) -> None:
        profiler.disable()
        profiler.dump_stats(str(out))
        out.with_suffix(".done").write_text("")

    signal.signal(signal.SIGUSR1, on)
    signal.signal(signal.SIGUSR2, off)
    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        _serve(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(f"usage: {sys.argv[0]} serve PORT PROFILE_PATH")
