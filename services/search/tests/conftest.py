"""Fixtures of the search service's tests: a migrated database of its own, the real audit
service over HTTP, and the search app with a bucket of its own."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from alpr_common import ensure_bucket, make_object_store
from alpr_devstack.testing import Infra, bearer, serve, serve_audit
from alpr_search.app import create_app
from alpr_search.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))

from search_support import SearchStack  # noqa: E402


@pytest.fixture
async def search_stack(infra: Infra) -> AsyncIterator[SearchStack]:
    db = infra.migrated_database("alpr_search", "alpr_audit", prefix="search")
    secret = infra.register_client("svc-search-test", roles=["service"])
    async with serve_audit(infra, db) as audit_url:
        bucket = f"search-{uuid.uuid4().hex[:12]}"
        settings = infra.settings(
            "search",
            database_url=db,
            s3_bucket=bucket,
            audit_url=audit_url,
            client_id="svc-search-test",
            client_secret=secret,
        )
        assert isinstance(settings, Settings)
        ensure_bucket(make_object_store(settings), bucket)
        async with serve(create_app(settings)) as client:
            yield SearchStack(
                client=client,
                settings=settings,
                infra=infra,
                audit_url=audit_url,
                service=bearer(infra.mint(sub="svc-ingest", roles=["service"], training_expires=None)),
                investigator=bearer(infra.mint(sub="inv-1", name="Ivy Investigator", roles=["investigator"])),
                auditor=bearer(infra.mint(sub="aud-1", roles=["auditor"])),
            )
