"""Fixtures of the sharing service's tests: one database with the audit, search, hotlist and
sharing schemas, each service real and on a loopback port (sharing calls search and hotlist
with its own client credentials). Search and hotlist are loaded by name through alpr_devstack:
this package's tests never import another service's code."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sharing_support import SharingStack  # noqa: E402

from alpr_common import ServiceSettings, ensure_bucket, make_object_store  # noqa: E402
from alpr_devstack.testing import Infra, create_app, serve_audit, serve_http  # noqa: E402

# The one variable a hotlist source of these tests may name for its client secret (issue 19).
FEED_SECRET = "PARTNER_A_FEED_SECRET"


@pytest.fixture
async def stack(infra: Infra) -> AsyncIterator[SharingStack]:
    db = infra.migrated_database(
        "alpr_sharing", "alpr_search", "alpr_hotlist", "alpr_audit", prefix="sharing"
    )
    secrets = {
        name: infra.register_client(f"svc-{name}-st", roles=["service"])
        for name in ("sharing", "search", "hotlist")
    }
    bucket = f"sharing-{uuid.uuid4().hex[:12]}"

    def own(name: str, audit_url: str, **extra: object) -> ServiceSettings:
        # Partners' webhooks and feeds listen on loopback here: the operator allows it (issue 19).
        return infra.settings(
            name, database_url=db, s3_bucket=bucket, audit_url=audit_url, client_id=f"svc-{name}-st",
            client_secret=secrets[name], outbound_allow_http=True, outbound_allow_networks="127.0.0.0/8",
            **extra,
        )  # fmt: skip

    async with serve_audit(infra, db) as audit_url:
        search_settings = own("search", audit_url)
        ensure_bucket(make_object_store(search_settings), bucket)
        hotlist_settings = own("hotlist", audit_url, scheduler=False, source_secret_envs=FEED_SECRET)
        async with (
            serve_http(create_app("search", search_settings)) as search_url,
            serve_http(create_app("hotlist", hotlist_settings)) as hotlist_url,
        ):
            sharing = own("sharing", audit_url, search_url=search_url, hotlist_url=hotlist_url)
            async with (
                serve_http(create_app("sharing", sharing)) as url,
                httpx.AsyncClient(base_url=url, timeout=30) as client,
                httpx.AsyncClient(base_url=search_url, timeout=30) as search,
                httpx.AsyncClient(base_url=hotlist_url, timeout=30) as hotlist,
            ):
                yield SharingStack(
                    client=client,
                    search=search,
                    hotlist=hotlist,
                    database_url=db,
                    audit_url=audit_url,
                    infra=infra,
                )
