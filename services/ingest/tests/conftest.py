"""Fixtures of the ingest service's tests: a migrated database of its own, the real audit
service over HTTP, stub consumers for search and hotlist, and the ingest app."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ingest_support import Stack  # noqa: E402

from alpr_devstack.consumers import ingest_with_stub_consumers  # noqa: E402
from alpr_devstack.testing import Infra, bearer, serve  # noqa: E402
from alpr_ingest.app import create_app  # noqa: E402
from alpr_ingest.settings import Settings  # noqa: E402


@pytest.fixture
async def stack(infra: Infra) -> AsyncIterator[Stack]:
    async with ingest_with_stub_consumers(
        infra,
        client_id="svc-ingest-test",
        prefix="ingest",
        outbox_poll_seconds=0.05,
        outbox_max_backoff_seconds=0.5,
        metrics_refresh_seconds=0.2,
    ) as (base, search, hotlist):
        async with serve(create_app(base.settings_as(Settings))) as client:
            yield Stack(
                client=client,
                base=base,
                infra=infra,
                search=search,
                hotlist=hotlist,
                admin=bearer(infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"])),
                service=bearer(
                    infra.mint(
                        sub="svc-recognition", name="recognition", roles=["service"], training_expires=None
                    )
                ),
                auditor=bearer(infra.mint(sub="aud-1", roles=["auditor"])),
            )
