"""Token attacks (issue 19, items 4 and 8): a signing key the issuer dropped stops verifying
within the JWKS refresh period, remembered tokens included, and a token issued in the future is
refused. The forgeries that held (alg none, HMAC with the public key, tampering, a foreign
issuer or audience) stay covered by tests/test_auth.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alpr_common import ServiceSettings
from alpr_devstack.components import stop_pid
from alpr_devstack.issuer import IssuerState
from alpr_devstack.testing import Infra, ServeService, bearer, problem, start_issuer


@pytest.fixture
def own_issuer(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An issuer of this test's own: its keys are dropped without touching the session's."""
    url, proc = start_issuer(tmp_path / "issuer")
    try:
        yield url, tmp_path / "issuer"
    finally:
        stop_pid(proc.pid)
        proc.wait(10)


def test_the_jwks_is_refetched_within_minutes_by_default() -> None:
    assert ServiceSettings().oidc_jwks_cache_s <= 900
    with pytest.raises(ValueError, match="oidc_jwks_cache_s|OIDC_JWKS_CACHE_S"):
        ServiceSettings(oidc_jwks_cache_s=3600)


async def test_a_dropped_signing_key_stops_verifying(
    infra: Infra, serve_service: ServeService, own_issuer: tuple[str, Path]
) -> None:
    url, directory = own_issuer
    state = IssuerState(directory)
    claims = {**infra.standard_claims(), "iss": url, "exp": int(time.time()) + 600}
    token = infra.sign(claims, key=state.signing_key())
    async with serve_service("ingest", oidc_issuer=url, oidc_jwks_cache_s=1) as client:
        before = await client.get("/v1/whoami", headers=bearer(token))
        assert before.status_code == 200, before.text
        resp = httpx.post(
            f"{url}/dev/rotate",
            params={"keep_old": "false"},
            headers={"Authorization": f"Bearer {state.admin_secret}"},
            timeout=10,
        )
        resp.raise_for_status()
        deadline = time.monotonic() + 15
        status = before.status_code
        while status == 200 and time.monotonic() < deadline:
            # The same token again: it was remembered as verified, and must not stay so.
            status = (await client.get("/v1/whoami", headers=bearer(token))).status_code
            if status == 200:
                await asyncio.sleep(0.2)
        assert status == 401
        fresh = infra.sign({**claims, "sub": "after"}, key=IssuerState(directory).signing_key())
        assert (await client.get("/v1/whoami", headers=bearer(fresh))).status_code == 200


async def test_a_token_issued_in_the_future_is_refused(infra: Infra, serve_service: ServeService) -> None:
    now = int(time.time())
    future = infra.sign(infra.standard_claims(iat=now + 3600, exp=now + 7200))
    within_leeway = infra.sign(infra.standard_claims(iat=now + 2))
    async with serve_service("search") as client:
        refused = await client.get("/v1/whoami", headers=bearer(future))
        assert refused.status_code == 401
        assert "future" in problem(refused)["detail"]
        assert (await client.get("/v1/whoami", headers=bearer(within_leeway))).status_code == 200
