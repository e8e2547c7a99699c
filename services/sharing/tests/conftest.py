"""Fixtures of the sharing service's tests: one database with the audit, search, hotlist and
sharing schemas, each service real and on a loopback port (sharing calls search and hotlist
with its own client credentials)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sharing_support import SharingStack  # noqa: E402

from alpr_audit.app import create_app as create_audit_app  # noqa: E402
from alpr_audit.checkpoints.signing import generate_key, private_key_b64  # noqa: E402
from alpr_common import ensure_bucket, make_object_store  # noqa: E402
from alpr_devstack.testing import Infra, serve_http  # noqa: E402
from alpr_hotlist.app import create_app as create_hotlist_app  # noqa: E402
from alpr_search.app import create_app as create_search_app  # noqa: E402
from alpr_sharing.app import create_app  # noqa: E402

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
    audit = infra.settings("audit", database_url=db, signing_key=private_key_b64(generate_key()))
    bucket = f"sharing-{uuid.uuid4().hex[:12]}"

    def own(name: str, audit_url: str, **extra: object) -> object:
        # Partners' webhooks and feeds listen on loopback here: the operator allows it (issue 19).
        return infra.settings(
            name, database_url=db, s3_bucket=bucket, audit_url=audit_url, client_id=f"svc-{name}-st",
            client_secret=secrets[name], outbound_allow_http=True, outbound_allow_networks="127.0.0.0/8",
            **extra,
        )  # fmt: skip

    async with serve_http(create_audit_app(audit)) as audit_url:  # type: ignore[arg-type]
        search_settings = own("search", audit_url)
        ensure_bucket(make_object_store(search_settings), bucket)  # type: ignore[arg-type]
        hotlist_settings = own("hotlist", audit_url, scheduler=False, source_secret_envs=FEED_SECRET)
        async with (
            serve_http(create_search_app(search_settings)) as search_url,  # type: ignore[arg-type]
            serve_http(create_hotlist_app(hotlist_settings)) as hotlist_url,  # type: ignore[arg-type]
        ):
            sharing = own("sharing", audit_url, search_url=search_url, hotlist_url=hotlist_url)
            async with (
                serve_http(create_app(sharing)) as url,  # type: ignore[arg-type]
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
