"""OIDC access-token validation: discovery, a cached JWKS refreshed on an unknown key id,
and the claims the platform reads turned into a ``Principal`` (R1, R30).

A token that verified is remembered until it expires (at most ``verified_cache_s``), so a
camera or a service that sends the same token with every request pays for one signature check,
not one per request; a JWKS refresh forgets them all."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any

import httpx
import structlog
from cachetools import TLRUCache
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from ._problems import Unauthenticated
from ._roles import MACHINE_ROLES

# Asymmetric algorithms only: "none" and HMAC (HS*) are refused before any key is touched,
# so a token "signed" with the public key as an HMAC secret never verifies.
ALLOWED_ALGORITHMS: dict[str, str] = {"RS256": "RSA", "ES256": "EC"}

_log = structlog.get_logger("alpr.auth")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person or a machine client, as the identity provider vouches."""

    sub: str
    name: str
    agency: str
    roles: frozenset[str]
    client_id: str | None = None
    training_expires: date | None = None
    badge: str | None = None  # a person's badge number, where the identity provider has one
    token: str = field(default="", repr=False)  # the raw bearer token, never logged

    @property
    def is_machine(self) -> bool:
        """True when every role is a machine role (camera, service, partner)."""
        return bool(self.roles) and self.roles <= MACHINE_ROLES

    def has_any(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def identity(self) -> dict[str, Any]:
        """Who this is, as a record or an answer carries it: every field but the token, with the
        roles sorted (the order an event's hash and a stored copy keep)."""
        kept = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "token"}
        return {**kept, "roles": sorted(self.roles)}

    def training_current(self, today: date | None = None) -> bool:
        """R2: training is current when its expiry date is today or later (UTC)."""
        if self.training_expires is None:
            return False
        return self.training_expires >= (today or datetime.now(UTC).date())


def _claim_path(claims: dict[str, Any], path: str) -> Any:
    node: Any = claims
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _parse_training(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).date()
    return None


def _badge(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable():
        return value
    return None


def principal_from_claims(claims: dict[str, Any], roles_claim: str, token: str = "") -> Principal:
    raw_roles = _claim_path(claims, roles_claim)
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.replace(",", " ").split()
    roles = frozenset(r for r in raw_roles or () if isinstance(r, str))
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthenticated("The token has no subject.")
    name = claims.get("name") or claims.get("preferred_username") or sub
    client_id = claims.get("client_id")
    if client_id is None and roles and roles <= MACHINE_ROLES:
        client_id = claims.get("azp")
    return Principal(
        sub=sub,
        name=str(name),
        agency=str(claims.get("agency") or ""),
        roles=roles,
        client_id=str(client_id) if client_id else None,
        training_expires=_parse_training(claims.get("alpr_training_expires")),
        badge=_badge(claims.get("badge")),
        token=token,
    )


class TokenVerifier:
    """Validates bearer tokens against one issuer's JWKS.

    The JWKS is fetched lazily (nothing connects at construction), cached for
    ``jwks_cache_s`` (minutes: a key the issuer dropped stops verifying within that time, and
    so does every token remembered as verified), and refreshed at once when a token names an
    unknown ``kid`` (a key rotation at the issuer); a kid still unknown after that refresh does
    not cause another fetch for ``refresh_cooldown_s``, so random kids cannot be used to hammer
    the issuer. A token issued in the future (``iat`` past the leeway) is refused.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        http: httpx.AsyncClient,
        roles_claim: str = "roles",
        jwks_url: str | None = None,
        leeway_s: int = 5,
        jwks_cache_s: float = 300,
        refresh_cooldown_s: float = 10.0,
        verified_cache_s: float = 60.0,
        verified_cache_size: int = 4096,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.roles_claim = roles_claim
        self._http = http
        self._jwks_url = jwks_url
        self._leeway = leeway_s
        self._cache_s = jwks_cache_s
        self._cooldown = refresh_cooldown_s
        self._keys: dict[str, dict[str, Any]] = {}
        self._constructed: dict[str, Key] = {}
        self._verified_s = verified_cache_s
        # token -> (principal, expiry in epoch seconds); an entry lives until the token's own
        # expiry (no leeway) or ``verified_cache_s``, whichever comes first.
        self._verified: TLRUCache[str, tuple[Principal, float]] = TLRUCache(
            maxsize=verified_cache_size, ttu=self._verified_until, timer=time.time
        )
        self._fetched_at = 0.0
        self._forced_at = -1e9
        self._lock = asyncio.Lock()

    async def _discover_jwks_url(self) -> str:
        if self._jwks_url is None:
            resp = await self._http.get(f"{self.issuer}/.well-known/openid-configuration")
            resp.raise_for_status()
            url = resp.json().get("jwks_uri")
            if not isinstance(url, str):
                raise ValueError("discovery document has no jwks_uri")
            self._jwks_url = url
        return self._jwks_url

    async def _refresh(self) -> None:
        url = await self._discover_jwks_url()
        resp = await self._http.get(url)
        resp.raise_for_status()
        keys = {}
        for key in resp.json().get("keys", []):
            if isinstance(key, dict) and isinstance(key.get("kid"), str):
                keys[key["kid"]] = key
        self._keys = keys
        self._constructed.clear()
        self._verified.clear()  # a key that left the JWKS no longer vouches for anything
        self._fetched_at = time.monotonic()
        _log.info("jwks_refreshed", keys=len(keys))

    async def _key_for(self, kid: str) -> dict[str, Any] | None:
        now = time.monotonic()
        stale = self._stale() or not self._keys
        if kid in self._keys and not stale:
            return self._keys[kid]
        async with self._lock:
            if kid in self._keys and time.monotonic() - self._fetched_at <= self._cache_s:
                return self._keys[kid]
            # A forced refresh: the cached keys are fresh but do not hold this kid.
            unknown = not stale and kid not in self._keys
            if unknown and now - self._forced_at < self._cooldown:
                return None
            try:
                await self._refresh()
            except (httpx.HTTPError, ValueError) as exc:
                _log.warning("jwks_unavailable", error=str(exc))
                if kid in self._keys:
                    return self._keys[kid]
                raise Unauthenticated(
                    "The identity provider's keys could not be fetched.", error=None
                ) from exc
            if unknown:
                self._forced_at = time.monotonic()
            return self._keys.get(kid)

    def _verified_until(self, _token: str, value: tuple[Principal, float], now: float) -> float:
        return min(value[1], now + self._verified_s)

    def _constructed_key(self, kid: str, key: dict[str, Any], alg: str) -> Key:
        constructed = self._constructed.get(kid)
        if constructed is None:
            constructed = self._constructed[kid] = jwk.construct(key, alg)
        return constructed

    def _stale(self) -> bool:
        return time.monotonic() - self._fetched_at > self._cache_s

    async def verify(self, token: str) -> Principal:
        # A remembered token counts only while the keys that verified it are fresh: once they
        # are stale, the token is checked again against a fresh JWKS (a dropped key stops).
        cached = None if self._stale() else self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        principal, expires = await self._verify_signed(token)
        self._verified[token] = (principal, expires)
        return principal

    async def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise Unauthenticated("The bearer token is malformed.") from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise Unauthenticated("The token's signing algorithm is not accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("The token names no signing key.")
        key = await self._key_for(kid)
        if key is None:
            raise Unauthenticated("The token's signing key is unknown.")
        if key.get("kty") != ALLOWED_ALGORITHMS[alg] or key.get("alg", alg) != alg:
            raise Unauthenticated("The token's algorithm does not match its key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._constructed_key(kid, key, alg),
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_exp": True,
                    "require_iss": True,
                    "require_aud": True,
                    "require_sub": True,
                    "verify_at_hash": False,
                    "leeway": self._leeway,
                },
            )
        except ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired.") from exc
        except JWTClaimsError as exc:
            raise Unauthenticated(f"The token's claims are not valid: {exc}.") from exc
        except JWTError as exc:
            raise Unauthenticated("The token's signature is not valid.") from exc
        issued = claims.get("iat")
        if isinstance(issued, int | float) and issued > time.time() + self._leeway:
            raise Unauthenticated("The token was issued in the future.")
        return principal_from_claims(claims, self.roles_claim, token), float(claims["exp"])
