"""Token validation on every service (R1, R2, R30): each bad token is refused with 401 and a
problem body, lapsed or missing training with 403, and a rotated issuer key is picked up
without a restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from alpr_devstack.testing import SERVICE_NAMES, Infra, ServeService, bearer, problem


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


def _tampered(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["alpr_admin"]
    return ".".join([head, _b64(json.dumps(claims).encode()), sig])


def _hmac_with_public_key(infra: Infra) -> str:
    # The classic confusion attack: HS256 "signed" with the issuer's public key as secret.
    key = infra.issuer_state.signing_key()
    public_pem = key.as_pem(private=False)
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = ".".join(
        [_b64(json.dumps(header).encode()), _b64(json.dumps(infra.standard_claims()).encode())]
    )
    sig = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


BadToken = Callable[[Infra], str | None]

BAD_TOKENS: dict[str, BadToken] = {
    "no_token": lambda infra: None,
    "malformed": lambda infra: "not.a.jwt",
    "garbage": lambda infra: "abc",
    "alg_none": lambda infra: _unsigned({"alg": "none", "typ": "JWT"}, infra.standard_claims()),
    "alg_none_with_kid": lambda infra: _unsigned(
        {"alg": "none", "kid": infra.issuer_state.signing_key().kid}, infra.standard_claims()
    ),
    "hmac_signed_with_public_key": _hmac_with_public_key,
    "tampered_signature": lambda infra: _tampered(infra.sign(infra.standard_claims())),
    "expired": lambda infra: infra.sign(infra.standard_claims(exp=int(time.time()) - 120)),
    "not_yet_valid": lambda infra: infra.sign(infra.standard_claims(nbf=int(time.time()) + 600)),
    "wrong_issuer": lambda infra: infra.sign(infra.standard_claims(iss="http://evil.example")),
    "wrong_audience": lambda infra: infra.sign(infra.standard_claims(aud="other-api")),
    "no_subject": lambda infra: infra.sign({k: v for k, v in infra.standard_claims().items() if k != "sub"}),
    "no_expiry": lambda infra: infra.sign({k: v for k, v in infra.standard_claims().items() if k != "exp"}),
    "unknown_kid": lambda infra: infra.sign(
        infra.standard_claims(),
        key=RSAKey.generate_key(2048, parameters={"kid": "attacker-key", "alg": "RS256"}),
    ),
    "no_kid": lambda infra: infra.sign(infra.standard_claims(), header={"kid": None}),
}


@pytest.mark.parametrize("service", SERVICE_NAMES)
class TestTokenValidation:
    async def test_bad_tokens_are_refused_with_401_problem(
        self, service: str, infra: Infra, serve_service: ServeService
    ) -> None:
        """R30: authenticated access only; every malformed or forged token gets 401."""
        async with serve_service(service) as client:
            for case, make in BAD_TOKENS.items():
                token = make(infra)
                headers = bearer(token) if token is not None else {}
                resp = await client.get("/v1/whoami", headers=headers)
                assert resp.status_code == 401, (case, resp.text)
                body = problem(resp)
                assert body["type"] == "urn:alpr:problem:unauthenticated", case
                assert resp.headers["www-authenticate"].startswith("Bearer"), case

    async def test_valid_token_shows_the_principal(
        self, service: str, infra: Infra, serve_service: ServeService
    ) -> None:
        """R1: the caller is known by individual identity."""
        token = infra.mint(
            sub="jdoe", name="Jane Doe", roles=["investigator", "analyst"], training_expires="2099-01-31"
        )
        async with serve_service(service) as client:
            resp = await client.get("/v1/whoami", headers=bearer(token))
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "sub": "jdoe",
            "name": "Jane Doe",
            "agency": "CA0019400",
            "roles": ["analyst", "investigator"],
            "client_id": None,
            "training_expires": "2099-01-31",
        }

    async def test_training_gate_R2(self, service: str, infra: Infra, serve_service: ServeService) -> None:
        """R2: missing or lapsed training is 403 training-required; machine clients are exempt."""
        lapsed = infra.mint(roles=["investigator"], training_expires="2020-01-01")
        missing = infra.mint(roles=["operator"], training_expires=None)
        no_roles = infra.mint(roles=[], training_expires=None)
        camera = infra.mint(sub="cam-7", roles=["camera"], training_expires=None)
        async with serve_service(service) as client:
            for token in (lapsed, missing, no_roles):
                resp = await client.get("/v1/whoami", headers=bearer(token))
                assert resp.status_code == 403
                assert problem(resp)["type"] == "urn:alpr:problem:training-required"
            resp = await client.get("/v1/whoami", headers=bearer(camera))
        assert resp.status_code == 200
        assert resp.json()["client_id"] == "cam-7"  # machine-only role sets carry client_id = sub

    async def test_open_endpoints_need_no_token(self, service: str, serve_service: ServeService) -> None:
        async with serve_service(service) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200
            spec = (await client.get("/openapi.json")).json()
        assert "/v1/whoami" in spec["paths"]
        assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_rotated_key_is_picked_up_without_restart(infra: Infra, serve_service: ServeService) -> None:
    """A token under a key the service has never seen is accepted once the issuer publishes it."""
    async with serve_service("search") as client:
        before = await client.get("/v1/whoami", headers=bearer(infra.mint()))
        assert before.status_code == 200
        new_kid = infra.rotate_key()
        token = infra.mint(sub="after-rotation")
        assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))["kid"] == new_kid
        after = await client.get("/v1/whoami", headers=bearer(token))
        assert after.status_code == 200, after.text
        assert after.json()["sub"] == "after-rotation"


async def test_keycloak_shaped_roles(infra: Infra, serve_service: ServeService) -> None:
    """Keycloak puts roles under realm_access.roles; OIDC_ROLES_CLAIM selects that path."""
    claims = infra.standard_claims(
        roles=None,
        realm_access={"roles": ["auditor", "offline_access"]},
        preferred_username="kc-user",
        azp="alpr-ui",
    )
    del claims["name"]
    token = infra.sign(claims)
    async with serve_service("audit", oidc_roles_claim="realm_access.roles") as client:
        resp = await client.get("/v1/whoami", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["roles"] == ["auditor", "offline_access"]
    assert body["name"] == "kc-user"
    assert body["client_id"] is None  # azp of a person's token is the UI, not a machine identity
    async with serve_service("audit") as client:  # default claim path: no roles seen
        assert (await client.get("/v1/whoami", headers=bearer(token))).json()["roles"] == []


async def test_the_dev_issuer_refuses_any_secret_text_with_401(infra: Infra) -> None:
    """A client secret or password in any text (non-ASCII included) is refused as wrong, never
    a 500: secrets are compared as bytes."""
    import httpx

    client_id = "svc-auth-nonascii"
    secret = infra.register_client(client_id, roles=["service"])
    async with httpx.AsyncClient() as http:
        for wrong in ("ü" * 8, secret + "é"):
            resp = await http.post(
                f"{infra.issuer_url}/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, wrong),
            )
            assert resp.status_code == 401, resp.text
        ok = await http.post(
            f"{infra.issuer_url}/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        assert ok.status_code == 200, ok.text
