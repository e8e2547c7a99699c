"""require_roles on a probe app built with create_service_app: role checks (R3), the
training gate (R2), separation of duties (R21), check order and problem bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from alpr_common import Principal, Role, create_service_app, require_roles
from alpr_devstack.testing import Infra, bearer, problem, serve

router = APIRouter()


class Echo(BaseModel):
    text: str = Field(min_length=1, max_length=10)
    count: int


@router.post("/v1/echo")
async def echo(
    body: Echo, principal: Annotated[Principal, Depends(require_roles(Role.INVESTIGATOR, Role.ANALYST))]
) -> Echo:
    return body


@router.get("/v1/audit-only")
async def audit_only(
    principal: Annotated[Principal, Depends(require_roles(Role.AUDITOR, separation_of_duties=True))],
) -> dict[str, str]:
    return {"sub": principal.sub}


@router.get("/v1/boom")
async def boom(principal: Annotated[Principal, Depends(require_roles())]) -> dict[str, str]:
    raise RuntimeError("secret internal detail")


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    from alpr_audit.settings import Settings

    settings = Settings(**infra.settings("audit").model_dump())
    app = create_service_app(
        service="probe", settings=settings, description="probe", routers=[router], uses_database=False
    )
    async with serve(app) as c:
        yield c


class TestRequireRoles:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        resp = await client.post("/v1/echo", json={"text": "a", "count": 1})
        assert resp.status_code == 401
        assert problem(resp)["type"] == "urn:alpr:problem:unauthenticated"

    async def test_wrong_role_is_403_R3(self, client: httpx.AsyncClient, infra: Infra) -> None:
        """R3: only the roles a route names may call it."""
        token = infra.mint(roles=["operator"])
        resp = await client.post("/v1/echo", json={"text": "a", "count": 1}, headers=bearer(token))
        assert resp.status_code == 403
        assert problem(resp)["type"] == "urn:alpr:problem:forbidden"

    async def test_right_role_passes(self, client: httpx.AsyncClient, infra: Infra) -> None:
        token = infra.mint(roles=["analyst"])
        resp = await client.post("/v1/echo", json={"text": "a", "count": 1}, headers=bearer(token))
        assert resp.status_code == 200
        assert resp.json() == {"text": "a", "count": 1}

    async def test_training_checked_before_role_R2(self, client: httpx.AsyncClient, infra: Infra) -> None:
        """R2: the right role without current training is still refused."""
        token = infra.mint(roles=["investigator"], training_expires="2021-06-30")
        resp = await client.post("/v1/echo", json={"text": "a", "count": 1}, headers=bearer(token))
        assert resp.status_code == 403
        assert problem(resp)["type"] == "urn:alpr:problem:training-required"

    async def test_auth_before_body_validation(self, client: httpx.AsyncClient, infra: Infra) -> None:
        """Checks run in order: token (401), role (403), then body (422)."""
        bad_body = {"text": "", "count": "x"}
        assert (await client.post("/v1/echo", json=bad_body)).status_code == 401
        wrong = bearer(infra.mint(roles=["operator"]))
        assert (await client.post("/v1/echo", json=bad_body, headers=wrong)).status_code == 403
        right = bearer(infra.mint(roles=["investigator"]))
        resp = await client.post("/v1/echo", json=bad_body, headers=right)
        assert resp.status_code == 422
        body = problem(resp)
        assert body["type"] == "urn:alpr:problem:validation"
        assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "text"), ("body", "count")}

    async def test_separation_of_duties_R21(self, client: httpx.AsyncClient, infra: Infra) -> None:
        """R21: a token holding auditor and alpr_admin is refused on auditor endpoints."""
        both = bearer(infra.mint(roles=["auditor", "alpr_admin"]))
        resp = await client.get("/v1/audit-only", headers=both)
        assert resp.status_code == 403
        assert problem(resp)["type"] == "urn:alpr:problem:forbidden"
        auditor = bearer(infra.mint(roles=["auditor"]))
        assert (await client.get("/v1/audit-only", headers=auditor)).status_code == 200


class TestProblems:
    async def test_unknown_path_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/v1/nothing-here/123")
        assert resp.status_code == 404
        body = problem(resp)
        assert body["type"] == "urn:alpr:problem:not-found"
        assert "123" not in body["detail"]  # R27: the id is not echoed

    async def test_wrong_method_is_a_405_problem(self, client: httpx.AsyncClient) -> None:
        resp = await client.delete("/healthz")
        assert resp.status_code == 405
        problem(resp)

    async def test_unexpected_error_is_a_500_problem_without_trace(
        self, client: httpx.AsyncClient, infra: Infra
    ) -> None:
        resp = await client.get("/v1/boom", headers=bearer(infra.mint()))
        assert resp.status_code == 500
        body = problem(resp)
        assert "secret internal detail" not in resp.text
        assert "Traceback" not in resp.text
        assert body["request_id"] == resp.headers["x-request-id"]

    async def test_malformed_json_after_auth(self, client: httpx.AsyncClient, infra: Infra) -> None:
        """A body that is not JSON is a 422 problem, but never before the token is checked."""
        raw = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
        assert (await client.post("/v1/echo", **raw)).status_code == 401  # type: ignore[arg-type]
        token = bearer(infra.mint(roles=["investigator"]))
        resp = await client.post(
            "/v1/echo", content=b"{not json", headers={**token, "Content-Type": "application/json"}
        )
        assert resp.status_code == 422
        assert problem(resp)["type"] == "urn:alpr:problem:validation"

    async def test_metrics_are_labelled_by_route_template(
        self, client: httpx.AsyncClient, infra: Infra
    ) -> None:
        await client.get("/v1/audit-only", headers=bearer(infra.mint(roles=["auditor"])))
        await client.get("/v1/nothing/123")
        text = (await client.get("/metrics")).text
        assert 'route="/v1/audit-only",service="probe",status="200"' in text
        assert 'route="<unmatched>"' in text
        assert "/v1/nothing/123" not in text

    async def test_request_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert resp.headers["x-request-id"] == "abc-123"
