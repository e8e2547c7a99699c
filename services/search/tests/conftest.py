"""Fixtures of the search service's tests: a migrated database of its own, the real audit
service over HTTP, a stand-in for sharing serving agency policies, and the search app with a
bucket of its own."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from alpr_common import (
    AgencyPolicy,
    AgencyPolicyVersion,
    PolicyStatus,
    Principal,
    Role,
    Unavailable,
    create_service_app,
    require_roles,
)
from alpr_devstack.testing import Infra, audited_service, bearer, serve, serve_http
from alpr_search.app import create_app
from alpr_search.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))

from search_support import FakeSharing, SearchStack  # noqa: E402


@pytest.fixture
async def fake_sharing(infra: Infra) -> AsyncIterator[FakeSharing]:
    """Sharing's ``GET /v1/agencies/{ori}/policy`` on a loopback port (never the port of a
    stack that may be running), serving what the test puts in ``policies``."""
    router = APIRouter()
    fake = FakeSharing(url="")

    @router.get("/v1/agencies/{ori}/policy")
    async def agency_policy(
        ori: str, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
    ) -> AgencyPolicyVersion:
        fake.calls += 1
        if fake.down:
            raise Unavailable("sharing is down (test)")
        if ori not in fake.policies:
            return AgencyPolicyVersion(
                agency=ori, version=0, status=PolicyStatus.DEFAULT, policy=AgencyPolicy()
            )
        policy = fake.policies[ori]
        version = fake.versions.get(ori, 1)
        return AgencyPolicyVersion(agency=ori, version=version, status=PolicyStatus.IN_FORCE, policy=policy)

    app = create_service_app(
        service="sharing",
        settings=infra.settings("ingest"),
        description="agency policies",
        routers=[router],
        uses_database=False,
    )
    async with serve_http(app) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def search_stack(infra: Infra, fake_sharing: FakeSharing) -> AsyncIterator[SearchStack]:
    async with audited_service(
        infra, "search", client_id="svc-search-test", prefix="search", sharing_url=fake_sharing.url
    ) as base:
        settings = base.settings
        assert isinstance(settings, Settings)
        app = create_app(settings)
        async with serve(app) as client:
            yield SearchStack(
                client=client,
                settings=settings,
                infra=infra,
                audit_url=base.audit_url,
                service=bearer(infra.mint(sub="svc-ingest", roles=["service"], training_expires=None)),
                investigator=bearer(infra.mint(sub="inv-1", name="Ivy Investigator", roles=["investigator"])),
                auditor=bearer(infra.mint(sub="aud-1", roles=["auditor"])),
                app=app,
                sharing=fake_sharing,
            )
