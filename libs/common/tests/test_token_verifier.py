"""TokenVerifier against the real development issuer: JWKS fetched once and cached, a forced
refresh for an unknown kid at most once per cooldown (random kids cannot hammer the issuer)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, tzinfo
from types import SimpleNamespace

import httpx
import jose.jwt
import pytest
from joserfc.jwk import RSAKey

from alpr_common import TokenVerifier, Unauthenticated, _tokens
from alpr_devstack.testing import Infra


def _counting_client(counter: list[str]) -> httpx.AsyncClient:
    async def hook(request: httpx.Request) -> None:
        counter.append(request.url.path)

    return httpx.AsyncClient(event_hooks={"request": [hook]})


async def test_jwks_is_cached_and_unknown_kids_do_not_hammer_the_issuer(infra: Infra) -> None:
    calls: list[str] = []
    async with _counting_client(calls) as http:
        verifier = TokenVerifier(issuer=infra.issuer_url, audience="alpr", http=http, refresh_cooldown_s=60)
        for _ in range(5):
            principal = await verifier.verify(infra.mint(sub="cached"))
            assert principal.sub == "cached"
        assert calls.count("/jwks") == 1

        stranger = RSAKey.generate_key(2048, parameters={"kid": "random-kid", "alg": "RS256"})
        for _ in range(5):
            try:
                await verifier.verify(infra.sign(infra.standard_claims(), key=stranger))
            except Unauthenticated:
                pass
            else:
                raise AssertionError("a token under an unpublished key must be refused")
        assert calls.count("/jwks") == 2  # one forced refresh, then the cooldown holds


async def test_principal_repr_never_shows_the_token(infra: Infra) -> None:
    async with httpx.AsyncClient() as http:
        verifier = TokenVerifier(issuer=infra.issuer_url, audience="alpr", http=http)
        token = infra.mint()
        principal = await verifier.verify(token)
    assert principal.token == token
    assert token not in repr(principal)


class _Clock:
    """Wall time plus an offset the test moves: the verifier's cache and the JWT library's
    expiry check both read it, so a token's expiry is reached without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def datetime_class(self) -> type[datetime]:
        clock = self

        class _Shifted(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
                return datetime.now(tz) + timedelta(seconds=clock.offset)

        return _Shifted


async def test_a_remembered_token_still_expires(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> None:
    """A verified token is remembered (one signature check, not one per request) only until it
    expires: after that it is refused like any expired token."""
    clock = _Clock()
    monkeypatch.setattr(_tokens, "time", SimpleNamespace(time=clock.time, monotonic=time.monotonic))
    monkeypatch.setattr(jose.jwt, "datetime", clock.datetime_class())
    async with httpx.AsyncClient() as http:
        verifier = TokenVerifier(issuer=infra.issuer_url, audience="alpr", http=http, leeway_s=0)
        token = infra.mint(sub="short-lived", ttl=60)
        first = await verifier.verify(token)
        clock.offset = 30
        assert await verifier.verify(token) is first  # remembered, not checked again
        clock.offset = 62
        with pytest.raises(Unauthenticated, match="expired"):
            await verifier.verify(token)
