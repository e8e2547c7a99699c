"""Attacks that held when tried (issue 19), kept so they stay closed: role escalation over every
route of every service (each role a route does not admit is 403, whatever the path or body),
and lapsed training. Token forgeries are in tests/test_auth.py, cross-agency reads in each
service's tests (frames, hotlists, alerts, searches, audits: 404 or empty), `file://`
traversal in services/hotlist/tests/test_sources.py."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import iter_route_contexts

from alpr_common import Role
from alpr_devstack.testing import SERVICE_NAMES, Infra, bearer, create_app, problem, required_roles, serve


def _concrete(path: str) -> str:
    """The route's path with each parameter filled in: an ORI where it names an agency."""
    return re.sub(r"\{([^}]+)\}", lambda m: "CA0019400" if "ori" in m.group(1) else str(uuid.uuid4()), path)


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_every_role_a_route_does_not_admit_is_403(service: str, infra: Infra) -> None:
    app = create_app(service, infra.settings(service))
    routes: list[tuple[str, str, frozenset[str]]] = []
    for ctx in iter_route_contexts(app.router.routes):
        marker = (
            required_roles(ctx.original_route.dependant) if hasattr(ctx.original_route, "dependant") else None
        )
        if marker is None or not marker[0]:
            continue
        for method in sorted(ctx.methods or ()):
            routes.append((method, ctx.path or "", marker[0]))
    assert routes, f"{service} has no role-checked route"
    tokens = {
        role: infra.mint(sub=f"esc-{role}", roles=[role], training_expires="2099-12-31")
        for role in {str(r) for r in Role}
    }
    tried = 0
    async with serve(app) as client:
        for method, path, allowed in routes:
            for role in sorted(set(tokens) - allowed):
                resp = await client.request(
                    method, _concrete(path), headers=bearer(tokens[role]), json={"anything": [1]}
                )
                assert resp.status_code == 403, (service, method, path, role, resp.text)
                assert problem(resp)["type"] == "urn:alpr:problem:forbidden"
                tried += 1
    assert tried > len(routes)


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_lapsed_training_is_403_before_anything_else(service: str, infra: Infra) -> None:
    everything = [str(r) for r in Role if r not in {Role.CAMERA, Role.PARTNER, Role.SERVICE}]
    token = infra.mint(sub="lapsed", roles=everything, training_expires="2020-01-01")
    app = create_app(service, infra.settings(service))
    async with serve(app) as client:
        for ctx in iter_route_contexts(app.router.routes):
            marker = (
                required_roles(ctx.original_route.dependant)
                if hasattr(ctx.original_route, "dependant")
                else None
            )
            if marker is None:
                continue
            for method in sorted(ctx.methods or ()):
                resp = await client.request(method, _concrete(ctx.path or ""), headers=bearer(token), json={})
                assert resp.status_code == 403, (service, method, ctx.path, resp.text)
                assert problem(resp)["type"] == "urn:alpr:problem:training-required"
