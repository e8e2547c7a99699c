"""Helpers of the sharing tests: the stack (audit, search, hotlist and sharing, each the real
service on a loopback port), tokens, and shortcuts for agencies, MOUs and requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from alpr_common import async_database_url
from alpr_devstack.testing import ActsAs, Infra, mou_draft

HOST = "CA0019400"
DAY = timedelta(days=1)


@dataclass
class SharingStack(ActsAs):
    """Audit, search, hotlist and sharing on loopback ports; ``as_(sub, *roles)``: a person's
    bearer header."""

    client: httpx.AsyncClient
    search: httpx.AsyncClient
    hotlist: httpx.AsyncClient
    database_url: str
    audit_url: str
    infra: Infra
    tokens: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)

    def partner(self, client_id: str, agency: str) -> dict[str, str]:
        """A partner's machine token (what its client-credentials grant gives it)."""
        return self.as_(client_id, "partner", agency=agency, client_id=client_id, name=client_id)

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("adm-1", "alpr_admin")

    @property
    def commander(self) -> dict[str, str]:
        return self.as_("cmd-1", "commander")

    async def agency(self, ori: str, client_id: str, **extra: Any) -> None:
        body = {"ori": ori, "name": f"Agency {ori}", "state": "CA", "kind": "law_enforcement",
                "client_ids": [client_id], **extra}  # fmt: skip
        resp = await self.client.post("/v1/agencies", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text

    async def mou(self, ori: str, *, activate: bool = True, **extra: Any) -> str:
        body = mou_draft(
            ori,
            **{
                "purposes": ["stolen_vehicle", "criminal_investigation"],
                "max_results": 100,
                "terms": "Authorized users only; 24-hour hotlist refresh; internal audits.",
                **extra,
            },
        )
        resp = await self.client.post("/v1/mous", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text
        mou_id = str(resp.json()["id"])
        if activate:
            resp = await self.client.post(f"/v1/mous/{mou_id}:activate", json={}, headers=self.admin)
            assert resp.status_code == 200, resp.text
        return mou_id

    async def adopt(self, policy: dict[str, Any], agency: str = HOST) -> dict[str, Any]:
        """Puts a policy version as the agency's administrator and, when it loosens a rule, has
        the agency's commander approve it (issue 17): in force at once either way."""
        body = {"policy": policy, "reason": "Council adopted the revision."}
        admin = self.as_("adm-1", "alpr_admin", agency=agency)
        resp = await self.client.put(f"/v1/agencies/{agency}/policy", json=body, headers=admin)
        assert resp.status_code == 200, resp.text
        made: dict[str, Any] = resp.json()
        if made["status"] == "pending_approval":
            path = f"/v1/agencies/{agency}/policy/versions/{made['version']}/approve"
            commander = self.as_("cmd-1", "commander", agency=agency)
            resp = await self.client.post(path, json={}, headers=commander)
            assert resp.status_code == 200, resp.text
            made = resp.json()
        assert made["status"] == "in_force", made
        return made

    async def file(self, token: dict[str, str], plate: str = "7ABC123", **extra: Any) -> httpx.Response:
        now = datetime.now(UTC)
        body = {
            "requester_name": "Det. Pat Partner",
            "purpose": "stolen_vehicle",
            "case_number": "P-2026-77",
            "scope": {"plate": plate, "from": (now - 10 * DAY).isoformat(), "to": now.isoformat()},
            **extra,
        }
        return await self.client.post("/v1/requests", json=body, headers=token)

    async def detections(self, *rows: tuple[str, datetime]) -> list[str]:
        """Detections of the host agency in search's store: (plate, captured_at)."""
        ids = [str(uuid.uuid4()) for _ in rows]
        body = {
            "detections": [
                {"id": i, "agency": HOST, "camera_id": str(uuid.uuid4()), "captured_at": at.isoformat(),
                 "latitude": 37.33, "longitude": -121.89, "plate": plate, "region": "CA", "confidence": 0.9}
                for i, (plate, at) in zip(ids, rows, strict=True)
            ]
        }  # fmt: skip
        resp = await self.search.post(
            "/v1/detections:batch", json=body, headers=self.as_("svc-ingest", "service")
        )
        assert resp.status_code == 200, resp.text
        return ids

    async def audit_events(self, **params: str) -> list[dict[str, Any]]:
        return await self.infra.ledger_events(self.audit_url, **params)

    async def sql(self, statement: str, **params: Any) -> None:
        engine = create_async_engine(async_database_url(self.database_url))
        try:
            async with engine.begin() as conn:
                await conn.execute(text(statement), params)
        finally:
            await engine.dispose()
