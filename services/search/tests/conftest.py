"""Fixtures of the search service's tests: a migrated database of its own, the real audit
service over HTTP, a stand-in for sharing serving agency policies, and the search app with a
bucket of its own."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from alpr_devstack.testing import FakeSharing, Infra, audited_service, bearer, serve, serve_fake_sharing
from alpr_search.app import create_app
from alpr_search.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))

from search_support import SearchStack  # noqa: E402


@pytest.fixture
async def fake_sharing(infra: Infra) -> AsyncIterator[FakeSharing]:
    async with serve_fake_sharing(infra) as fake:
        yield fake


@pytest.fixture
async def search_stack(infra: Infra, fake_sharing: FakeSharing) -> AsyncIterator[SearchStack]:
    async with audited_service(
        infra, "search", client_id="svc-search-test", prefix="search", sharing_url=fake_sharing.url
    ) as base:
        app = create_app(base.settings_as(Settings))
        async with serve(app) as client:
            yield SearchStack(
                client=client,
                base=base,
                infra=infra,
                service=bearer(infra.mint(sub="svc-ingest", roles=["service"], training_expires=None)),
                investigator=bearer(infra.mint(sub="inv-1", name="Ivy Investigator", roles=["investigator"])),
                auditor=bearer(infra.mint(sub="aud-1", roles=["auditor"])),
                app=app,
                sharing=fake_sharing,
            )
