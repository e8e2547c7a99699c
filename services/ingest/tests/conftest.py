"""Fixtures of the ingest service's tests: a migrated database of its own, the real audit
service over HTTP, stub consumers for search and hotlist, and the ingest app."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ingest_support import Stack  # noqa: E402

from alpr_common import ensure_bucket, make_object_store  # noqa: E402
from alpr_devstack.consumers import StubConsumer as Consumer  # noqa: E402
from alpr_devstack.testing import Infra, bearer, serve, serve_audit, serve_http  # noqa: E402
from alpr_ingest.app import create_app  # noqa: E402
from alpr_ingest.settings import Settings  # noqa: E402


@pytest.fixture
async def stack(infra: Infra) -> AsyncIterator[Stack]:
    db = infra.migrated_database("alpr_ingest", "alpr_audit", prefix="ingest")
    secret = infra.register_client("svc-ingest-test", roles=["service"])
    search, hotlist = Consumer("search"), Consumer("hotlist")
    async with (
        serve_audit(infra, db) as audit_url,
        serve_http(search.app(infra)) as search_url,
        serve_http(hotlist.app(infra)) as hotlist_url,
    ):
        bucket = f"ingest-{uuid.uuid4().hex[:12]}"  # each test sees only its own objects
        settings = infra.settings(
            "ingest",
            s3_bucket=bucket,
            database_url=db,
            audit_url=audit_url,
            search_url=search_url,
            hotlist_url=hotlist_url,
            client_id="svc-ingest-test",
            client_secret=secret,
            outbox_poll_seconds=0.05,
            outbox_max_backoff_seconds=0.5,
            metrics_refresh_seconds=0.2,
        )
        assert isinstance(settings, Settings)
        ensure_bucket(make_object_store(settings), bucket)
        async with serve(create_app(settings)) as client:
            yield Stack(
                client=client,
                settings=settings,
                database_url=db,
                audit_url=audit_url,
                search=search,
                hotlist=hotlist,
                infra=infra,
                admin=bearer(infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"])),
                service=bearer(
                    infra.mint(
                        sub="svc-recognition", name="recognition", roles=["service"], training_expires=None
                    )
                ),
                auditor=bearer(infra.mint(sub="aud-1", roles=["auditor"])),
            )
