"""Every route of every service authenticates, except health, metrics, OpenAPI and /public/
(R30), and every body is a declared model so /openapi.json is the whole contract."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from alpr_devstack.testing import SERVICE_NAMES, Infra, authenticates, create_app

OPEN_PATHS = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_route_authenticates(service: str, infra: Infra) -> None:
    app = create_app(service, infra.settings(service))
    checked = 0
    for ctx in iter_route_contexts(app.router.routes):
        path, route = ctx.path or "", ctx.original_route
        if path in OPEN_PATHS or path.startswith("/public/"):
            continue
        assert isinstance(route, APIRoute), f"{service} {path}: not an API route"
        assert authenticates(route.dependant), f"{service} {path} has no authenticator"
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_openapi_declares_every_body(service: str, infra: Infra) -> None:
    spec = create_app(service, infra.settings(service)).openapi()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ok = op.get("responses", {}).get("200") or op.get("responses", {}).get("201") or {}
            content = ok.get("content", {}).get("application/json", {})
            if path not in {"/metrics"} and content:
                assert content.get("schema"), f"{service} {method} {path}: undeclared response"
            body = op.get("requestBody", {}).get("content", {})
            for media in body.values():
                assert media.get("schema"), f"{service} {method} {path}: undeclared request body"
