"""The audit service frozen (SIGSTOP) for 20 s then resumed, or killed (SIGKILL) and started
again, while changes and views run against the hotlist service (issue 16): every committed
change has exactly one event, every view that returned data exactly one, a view answered 503
at most one, and the ledger verifies. Audit runs as its own process so it can be stopped;
events are counted by target and actor."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from alpr_common import ensure_bucket, make_object_store
from alpr_devstack.components import free_port, spawn_service, stop_pid
from alpr_devstack.testing import Infra, audit_signing_key, bearer, create_app, serve

FREEZE_S = 20.0
DEADLINE_S = 90.0


async def _events(audit_url: str, auditor: dict[str, str], action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    async with httpx.AsyncClient(base_url=audit_url, timeout=30) as http:
        while True:
            params: dict[str, str | int] = {"action": action, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            resp = await http.get("/v1/events", params=params, headers=auditor)
            assert resp.status_code == 200, resp.text
            items += resp.json()["items"]
            cursor = resp.json()["next_cursor"]
            if not cursor:
                return items


class Rig:
    """Audit as its own process on a fixed port (so it can be stopped, killed and started again)
    and the hotlist service in process, on one database."""

    def __init__(self, infra: Infra, tmp_path: Path) -> None:
        self.infra = infra
        self.tmp_path = tmp_path
        self.db = infra.migrated_database("alpr_hotlist", "alpr_audit", prefix="frozen")
        self.port = free_port()
        self.audit_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.db,
            "OIDC_ISSUER": infra.issuer_url,
            "AUDIT_SIGNING_KEY": audit_signing_key(),
            "LOG_LEVEL": "WARNING",
        }
        self.audit = self.start_audit()
        client_id = f"svc-hotlist-{uuid.uuid4().hex[:6]}"
        secret = infra.register_client(client_id, roles=["service"])
        bucket = f"frozen-{uuid.uuid4().hex[:10]}"
        self.settings = infra.settings(
            "hotlist",
            database_url=self.db,
            s3_bucket=bucket,
            audit_url=self.audit_url,
            client_id=client_id,
            client_secret=secret,
            scheduler=False,
        )
        ensure_bucket(make_object_store(self.settings), bucket)
        self.admin = bearer(infra.mint(sub="adm-frozen", name="Ada Admin", roles=["alpr_admin"]))
        self.auditor = bearer(infra.mint(sub="aud-frozen", name="Ann Auditor", roles=["auditor"]))

    def start_audit(self) -> subprocess.Popen[bytes]:
        return spawn_service("audit", self.port, self.tmp_path / f"audit-{time.monotonic_ns()}.log", self.env)

    async def change(self, hotlist: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {"name": f"frozen-{i}", "kind": "local_bolo", "priority": 1}
        return await hotlist.post("/v1/hotlists", json=body, headers=self.admin, timeout=120)

    async def view(self, hotlist: httpx.AsyncClient, i: int) -> httpx.Response:
        who = bearer(self.infra.mint(sub=f"viewer-{i}", name=f"Viewer {i}", roles=["operator"]))
        return await hotlist.get("/v1/alerts", headers=who, timeout=120)

    async def check(self, made: set[str], views: list[httpx.Response]) -> None:
        """Every committed change exactly once and nothing else; each view that returned data
        exactly once, one answered 503 at most once; the chain verifies."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            events = await _events(self.audit_url, self.auditor, "hotlist.created")
            created = Counter(t for e in events for t in e["targets"])
            if set(created) >= made or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert set(created) == made
        assert all(n == 1 for n in created.values()), created
        viewed = Counter(
            e["actor"]["sub"] for e in await _events(self.audit_url, self.auditor, "alert.viewed")
        )
        for i, answer in enumerate(views):
            if answer.status_code == 200:
                assert viewed[f"viewer-{i}"] == 1, (i, viewed)  # data left: exactly one record
            else:
                assert viewed[f"viewer-{i}"] <= 1, (i, viewed)  # 503: at most the attempt
        async with httpx.AsyncClient(base_url=self.audit_url, timeout=30) as http:
            verified = (await http.get("/v1/ledger/verify", headers=self.auditor)).json()
        assert verified["ok"] is True, verified

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.audit.pid, signal.SIGCONT)
        stop_pid(self.audit.pid)
        self.audit.wait(10)


async def test_audit_frozen_for_20_seconds_loses_and_duplicates_nothing(infra: Infra, tmp_path: Path) -> None:
    rig = Rig(infra, tmp_path)
    try:
        async with serve(create_app("hotlist", rig.settings)) as hotlist:
            before = [await rig.change(hotlist, i) for i in range(3)]  # audit up: on the ledger at once
            assert [r.status_code for r in before] == [201] * 3
            os.kill(rig.audit.pid, signal.SIGSTOP)
            frozen_at = time.monotonic()
            try:
                during = asyncio.gather(
                    *(rig.change(hotlist, i) for i in range(3, 13)), *(rig.view(hotlist, i) for i in range(6))
                )
                await asyncio.sleep(FREEZE_S)  # the freeze itself, not a wait for an outcome
            finally:
                os.kill(rig.audit.pid, signal.SIGCONT)
            answers = await during
            changes, views = answers[:10], answers[10:]
            # Changes stand while the ledger is frozen: each answers (it may wait 2 s for the ledger,
            # more on a loaded machine) well before the ledger thaws.
            assert [r.status_code for r in changes] == [201] * 10, [r.text for r in changes]
            slowest = max(r.elapsed.total_seconds() for r in changes)
            assert slowest < FREEZE_S - 2, slowest
            assert {r.status_code for r in views} <= {200, 503}
            assert time.monotonic() - frozen_at >= FREEZE_S
            print(  # noqa: T201 - the run's figures, shown with -s
                "frozen audit: changes answered in "
                f"{max(r.elapsed.total_seconds() for r in changes):.1f} s at most; views: "
                f"{Counter(r.status_code for r in views)}"
            )
            await rig.check({r.json()["id"] for r in before + changes}, views)
    finally:
        rig.stop()


async def test_audit_killed_and_restarted_loses_and_duplicates_nothing(infra: Infra, tmp_path: Path) -> None:
    rig = Rig(infra, tmp_path)
    try:
        async with serve(create_app("hotlist", rig.settings)) as hotlist:
            first = asyncio.gather(*(rig.change(hotlist, i) for i in range(10)))
            await asyncio.sleep(0.3)  # let some of them reach the ledger before the kill
            os.kill(rig.audit.pid, signal.SIGKILL)
            rig.audit.wait(10)
            second = await asyncio.gather(
                *(rig.change(hotlist, i) for i in range(10, 20)), *(rig.view(hotlist, i) for i in range(4))
            )
            changes = [*await first, *second[:10]]
            views = second[10:]
            assert [r.status_code for r in changes] == [201] * 20, [r.text for r in changes]
            assert {r.status_code for r in views} == {503}  # no record, no data
            rig.audit = rig.start_audit()
            await rig.check({r.json()["id"] for r in changes}, views)
    finally:
        rig.stop()
