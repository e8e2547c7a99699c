"""Fail closed (R4, R30): an access whose audit record cannot be written does not happen.
A probe service with an audited route calls the real audit service over HTTP."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from alpr_common import (
    Action,
    Principal,
    Purpose,
    Role,
    ServiceClients,
    audit_event,
    create_service_app,
    require_roles,
)
from alpr_devstack.components import free_port
from alpr_devstack.testing import Infra, bearer, problem, serve, serve_audit

router = APIRouter()


class Results(BaseModel):
    items: list[str]


@router.get("/v1/probe-search")
async def probe_search(
    request: Request, principal: Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR))]
) -> Results:
    clients: ServiceClients = request.app.state.clients
    await clients.audit.record(
        audit_event(
            principal,
            Action.SEARCH_EXECUTED,
            source="probe",
            purpose=Purpose.STOLEN_VEHICLE,
            case_number="2026-000001",
            data={"plate": "7ABC123"},
        )
    )
    return Results(items=["7ABC123 seen at camera 12"])


async def test_no_results_without_their_audit_record(infra: Infra) -> None:
    secret = infra.register_client("svc-probe", roles=["service"])
    audit_port = free_port()
    probe_settings = infra.settings(
        "search", client_id="svc-probe", client_secret=secret, audit_url=f"http://127.0.0.1:{audit_port}"
    )
    probe = create_service_app(
        service="probe", settings=probe_settings, description="probe", routers=[router], uses_database=False
    )
    token = bearer(infra.mint(roles=["investigator"]))
    audit_db = infra.migrated_database("alpr_audit", prefix="failclosed")
    auditor = bearer(infra.mint(roles=["auditor"]))

    async with serve(probe) as client:
        # Audit service down: 503 audit-unavailable, and not one result leaves.
        down = await client.get("/v1/probe-search", headers=token)
        assert down.status_code == 503
        assert problem(down)["type"] == "urn:alpr:problem:audit-unavailable"
        assert "7ABC123" not in down.text
        assert down.headers["retry-after"]

        # Audit service up: the search runs and its record is on the ledger.
        async with serve_audit(infra, audit_db, audit_port):
            up = await client.get("/v1/probe-search", headers=token)
            assert up.status_code == 200, up.text
            assert up.json() == {"items": ["7ABC123 seen at camera 12"]}
            async with httpx.AsyncClient() as http:
                events = (
                    await http.get(
                        f"http://127.0.0.1:{audit_port}/v1/events",
                        params={"action": "search.executed"},
                        headers=auditor,
                    )
                ).json()
            assert [e["actor"]["sub"] for e in events["items"]] == ["officer-1"]
            assert events["items"][0]["source"] == "probe"

        # Down again: closed again.
        assert (await client.get("/v1/probe-search", headers=token)).status_code == 503
