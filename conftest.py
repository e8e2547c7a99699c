"""Fixtures for every test in the repository: the real local parts (PostgreSQL, S3, OIDC)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import httpx._transports.default as httpx_transports
import pytest

from alpr_common import tls_context

pytest_plugins = ["alpr_devstack.testing"]


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """Every default httpx client the tests make shares the process's TLS context, as the
    services' clients do (``alpr_common.tls_context``): httpx would load certifi's CA bundle
    again for each client and each ``httpx.get`` (25-70 ms of CPU each, thousands in a run)."""
    own = httpx.create_ssl_context

    def shared(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None:
            return tls_context(trust_env=trust_env)
        return own(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transports, "create_ssl_context", shared)
        yield
