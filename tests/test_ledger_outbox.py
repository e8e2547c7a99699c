"""Ledger events of changes, exactly once (issue 16): a change commits with its event in the
outbox; with the audit service down the change still stands and its event reaches the ledger
once audit is back, exactly once; a change that does not commit leaves no event."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy import MetaData, text

from alpr_common import (
    Action,
    DbSession,
    LedgerOutbox,
    Principal,
    Role,
    ServiceSettings,
    ValidationProblem,
    audit_event,
    create_service_app,
    make_engine,
    outbox_table,
    require_roles,
)
from alpr_devstack.components import free_port
from alpr_devstack.testing import Infra, bearer, serve, serve_audit

metadata = MetaData(schema="probe")
outbox = outbox_table(metadata, "outbox_messages")
router = APIRouter()
Admin = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN))]


@router.post("/v1/things/{thing}")
async def change(
    request: Request, session: DbSession, principal: Admin, thing: str, fail: bool = False
) -> dict[str, str]:
    ledger: LedgerOutbox = request.app.state.ledger
    event = audit_event(principal, Action.CAMERA_UPDATED, source="probe", targets=[thing])
    await ledger.record(session, event)
    if fail:  # the change fails after its event was written: both roll back
        raise ValidationProblem("refused after the event was written")
    return {"event_id": str(event.event_id)}


async def _probe(infra: Infra, database_url: str, audit_port: int) -> FastAPI:
    engine = make_engine(database_url, application_name="probe-setup")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE SCHEMA IF NOT EXISTS probe"))
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    client_id = f"svc-probe-{uuid.uuid4().hex[:6]}"
    secret = infra.register_client(client_id, roles=["service"])
    settings = ServiceSettings(
        database_url=database_url,
        oidc_issuer=infra.issuer_url,
        audit_url=f"http://127.0.0.1:{audit_port}",
        client_id=client_id,
        client_secret=secret,
    )
    return create_service_app(
        service="probe", settings=settings, description="", routers=[router], ledger_outbox=outbox
    )


_PENDING = "delivered_at IS NULL AND dead_at IS NULL"


async def _undelivered(database_url: str) -> int:
    """Events in the probe's outbox not yet delivered (nor given up on)."""
    engine = make_engine(database_url, application_name="probe-drain")
    try:
        async with engine.connect() as conn:
            pending = await conn.scalar(text(f"SELECT count(*) FROM probe.outbox_messages WHERE {_PENDING}"))
    finally:
        await engine.dispose()
    return int(pending or 0)


async def _events(audit_url: str, auditor: dict[str, str]) -> dict[str, list[str]]:
    """event_id -> targets of every camera.updated event on the ledger."""
    async with httpx.AsyncClient(base_url=audit_url) as http:
        resp = await http.get(
            "/v1/events", params={"action": "camera.updated", "limit": 500}, headers=auditor
        )
    assert resp.status_code == 200, resp.text
    return {e["event_id"]: e["targets"] for e in resp.json()["items"]}


async def test_changes_reach_the_ledger_exactly_once_and_only_when_committed(infra: Infra) -> None:
    database_url = infra.migrated_database("alpr_audit", prefix="ledgerbox")
    audit_port = free_port()
    probe = await _probe(infra, database_url, audit_port)
    admin = bearer(infra.mint(sub="adm-1", roles=["alpr_admin"]))
    auditor = bearer(infra.mint(sub="aud-1", roles=["auditor"]))
    async with serve(probe) as client:
        # Audit is down: the changes stand (200), quickly; their events wait in the outbox.
        started = time.monotonic()
        while_down = [await client.post(f"/v1/things/down-{i}", headers=admin) for i in range(5)]
        assert [r.status_code for r in while_down] == [200] * 5
        assert time.monotonic() - started < 15
        failed = await client.post("/v1/things/never", params={"fail": "true"}, headers=admin)
        assert failed.status_code == 422
        async with serve_audit(infra, database_url, audit_port) as audit_url:
            # Audit is up: a change now is on the ledger by the time its answer arrives.
            now = await client.post("/v1/things/up", headers=admin)
            assert now.status_code == 200
            assert now.json()["event_id"] in await _events(audit_url, auditor)
            # The waiting ones arrive, each exactly once (counted by id).
            # Drained first (nothing undelivered left in the outbox), so nothing more can arrive.
            wanted = {r.json()["event_id"] for r in while_down}
            deadline = time.monotonic() + 45
            while pending := await _undelivered(database_url):
                assert time.monotonic() < deadline, f"{pending} events never delivered"
                await asyncio.sleep(0.1)
            seen = await _events(audit_url, auditor)
            assert wanted <= seen.keys(), f"not delivered: {wanted - seen.keys()}"
            assert sorted(t for targets in seen.values() for t in targets) == sorted(
                [f"down-{i}" for i in range(5)] + ["up"]
            )  # one event per change, none for the change that rolled back
            async with httpx.AsyncClient(base_url=audit_url) as http:
                verified = await http.get("/v1/ledger/verify", headers=auditor)
            assert verified.json()["ok"] is True
