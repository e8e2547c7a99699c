"""Fixtures of the hotlist service's tests: a migrated database of its own, the real audit
service over HTTP, and the hotlist service on a loopback port (streams need a real server)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hotlist_support import HotlistStack  # noqa: E402

from alpr_devstack.testing import Infra, audited_service, serve_http  # noqa: E402
from alpr_hotlist.app import create_app  # noqa: E402
from alpr_hotlist.settings import Settings  # noqa: E402


@pytest.fixture
async def stack(infra: Infra, tmp_path: Path) -> AsyncIterator[HotlistStack]:
    async with audited_service(
        infra,
        "hotlist",
        client_id="svc-hotlist-test",
        prefix="hotlist",
        feed_dir=tmp_path,
        scheduler=False,
        webhook_poll_seconds=0.05,
        # A stream idle this long sends a keep-alive: the tests read it as "nothing more held".
        stream_keepalive_seconds=0.3,
        # The feeds and webhook receivers of these tests listen on loopback (issue 19's
        # outbound policy refuses it unless the operator allows it, as here).
        outbound_allow_http=True,
        outbound_allow_networks="127.0.0.0/8",
    ) as base:
        async with (
            serve_http(create_app(base.settings_as(Settings))) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield HotlistStack(client=client, base=base, infra=infra, url=url, feed_dir=tmp_path)
