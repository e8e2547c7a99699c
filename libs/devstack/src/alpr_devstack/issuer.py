"""The development OIDC issuer (dev and tests only; production uses Keycloak).

Built on authlib's OAuth 2.0 authorization server (client-credentials and password grants,
client authentication, error responses) and joserfc (RSA keys, JWKS, RS256 signing). It
serves discovery, JWKS and RFC 9068 JWT access tokens (``typ: at+jwt``, ``kid``) with the
claims the platform reads, plus a few development endpoints guarded by an admin secret:
minting a token with any claims (``alpr dev token``), registering clients and users, and
rotating the signing key.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant, ResourceOwnerPasswordCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import BaseModel, Field

from alpr_common import MACHINE_ROLES

DEFAULT_TTL_S = 3600


@dataclass
class ClientRecord(ClientMixin):  # type: ignore[misc]
    """A registered OAuth client; machine clients carry their identity claims."""

    client_id: str
    client_secret: str
    name: str
    agency: str
    roles: list[str]
    public: bool = False
    grant_types: list[str] = field(default_factory=lambda: ["client_credentials"])

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class UserRecord:
    """A development user (password grant)."""

    username: str
    password: str
    name: str
    agency: str
    roles: list[str]
    training_expires: str | None = None
    badge: str | None = None

    def get_user_id(self) -> str:
        return self.username


@dataclass
class _Subject:
    """Any identity the generator signs for: claims are taken as given."""

    sub: str
    claims: dict[str, Any]

    def get_user_id(self) -> str:
        return self.sub


class IssuerState:
    """Keys, clients and users of the development issuer, kept as JSON in its data directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.keys_path = self.dir / "keys.json"
        self.clients_path = self.dir / "clients.json"
        self.users_path = self.dir / "users.json"
        self.admin_secret_path = self.dir / "admin_secret"
        if not self.keys_path.exists():
            self._write(self.keys_path, {"current": None, "keys": []})
            self.rotate()
        if not self.admin_secret_path.exists():
            self.admin_secret_path.write_text(secrets.token_urlsafe(32))
            self.admin_secret_path.chmod(0o600)
        for path in (self.clients_path, self.users_path):
            if not path.exists():
                self._write(path, {})

    def _write(self, path: Path, data: Any) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.chmod(0o600)
        tmp.replace(path)

    def _read(self, path: Path) -> Any:
        return json.loads(path.read_text())

    @property
    def admin_secret(self) -> str:
        return self.admin_secret_path.read_text().strip()

    def rotate(self, keep_old: bool = True) -> str:
        """A new signing key becomes current; old ones stay published unless dropped."""
        with self._lock:
            data = self._read(self.keys_path)
            kid = f"dev-{uuid.uuid4().hex[:12]}"
            key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
            keys = data["keys"] if keep_old else []
            keys.append(key.as_dict(private=True))
            self._write(self.keys_path, {"current": kid, "keys": keys})
            return kid

    def signing_key(self) -> RSAKey:
        data = self._read(self.keys_path)
        for raw in data["keys"]:
            if raw["kid"] == data["current"]:
                return RSAKey.import_key(raw)
        raise RuntimeError("no current signing key")

    def public_jwks(self) -> dict[str, Any]:
        data = self._read(self.keys_path)
        return {"keys": [RSAKey.import_key(k).as_dict(private=False) for k in data["keys"]]}

    def client(self, client_id: str) -> ClientRecord | None:
        raw = self._read(self.clients_path).get(client_id)
        return ClientRecord(**raw) if raw else None

    def put_client(self, record: ClientRecord) -> None:
        with self._lock:
            data = self._read(self.clients_path)
            data[record.client_id] = asdict(record)
            self._write(self.clients_path, data)

    def user(self, username: str) -> UserRecord | None:
        raw = self._read(self.users_path).get(username)
        return UserRecord(**raw) if raw else None

    def put_user(self, record: UserRecord) -> None:
        with self._lock:
            data = self._read(self.users_path)
            data[record.username] = asdict(record)
            self._write(self.users_path, data)


def identity_claims(
    *,
    sub: str,
    name: str,
    agency: str,
    roles: list[str],
    training_expires: str | None,
    client_id: str | None,
    badge: str | None = None,
) -> dict[str, Any]:
    """The platform's claims; machine-only role sets carry ``client_id`` (= ``sub`` unless given),
    people may carry a ``badge`` number."""
    claims: dict[str, Any] = {"sub": sub, "name": name, "agency": agency, "roles": roles}
    if training_expires:
        claims["alpr_training_expires"] = training_expires
    if badge:
        claims["badge"] = badge
    if client_id is None and roles and set(roles) <= MACHINE_ROLES:
        client_id = sub
    if client_id:
        claims["client_id"] = client_id
    return claims


class _Generator(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens signed with the issuer's current key, ``kid`` in the header."""

    def __init__(self, issuer: str, audience: str, state: IssuerState, ttl_s: int) -> None:
        super().__init__(issuer=issuer, alg="RS256", expires_generator=lambda _c, _g: ttl_s)
        self.audience = audience
        self.state = state

    def identity(self, client: ClientRecord, user: UserRecord | _Subject | None) -> dict[str, Any]:
        if isinstance(user, _Subject):
            return dict(user.claims)
        if isinstance(user, UserRecord):
            return identity_claims(
                sub=user.username,
                name=user.name,
                agency=user.agency,
                roles=user.roles,
                training_expires=user.training_expires,
                client_id=None,
                badge=user.badge,
            )
        return identity_claims(
            sub=client.client_id,
            name=client.name,
            agency=client.agency,
            roles=client.roles,
            training_expires=None,
            client_id=client.client_id,
        )

    def access_token_generator(
        self, client: ClientRecord, grant_type: str, user: Any, scope: str, ttl_s: int | None = None
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl_s if ttl_s is not None else self._get_expires_in(client, grant_type)),
            "jti": uuid.uuid4().hex,
            **({"scope": scope} if scope else {}),
            **self.identity(client, user),
        }
        key = self.state.signing_key()
        header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
        return jwt.encode(header, claims, key)


class _PasswordGrant(ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def authenticate_user(self, username: str, password: str) -> UserRecord | None:
        state: IssuerState = self.server.state
        user = state.user(username)
        if user and secrets.compare_digest(user.password, password):
            return user
        return None


class _ClientCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, state: IssuerState) -> None:
        super().__init__()
        self.state = state

    def query_client(self, client_id: str) -> ClientRecord | None:
        return self.state.client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        return None  # JWTs are self-contained; nothing to store

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=dict(headers))


_admin_bearer = HTTPBearer(auto_error=False)


class _FormRequest(OAuth2Request):  # type: ignore[misc]
    """authlib's request over an already-read form body."""

    def __init__(
        self, method: str, uri: str, headers: Any, form: dict[str, str], args: dict[str, str]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._form = form
        self._args = args
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return self._args


class MintRequest(BaseModel):
    """Claims of a development token (``alpr dev token``)."""

    sub: str
    name: str
    agency: str
    roles: list[str] = Field(default_factory=list)
    training_expires: date | None = None
    client_id: str | None = None
    badge: str | None = Field(None, max_length=64)
    ttl: int = Field(DEFAULT_TTL_S, ge=-86400 * 365, le=86400 * 30)


class ClientRegistration(BaseModel):
    client_id: str
    client_secret: str | None = None
    name: str
    agency: str
    roles: list[str]


class UserRegistration(BaseModel):
    username: str
    password: str
    name: str
    agency: str
    roles: list[str]
    training_expires: date | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def create_issuer_app(data_dir: Path, issuer_url: str, audience: str = "alpr") -> FastAPI:
    """The development issuer as an ASGI app (run with uvicorn on 127.0.0.1)."""
    issuer_url = issuer_url.rstrip("/")
    state = IssuerState(data_dir)
    server = _Server(state)
    generator = _Generator(issuer_url, audience, state, DEFAULT_TTL_S)
    server.register_token_generator("default", generator)
    server.register_grant(_ClientCredentialsGrant)
    server.register_grant(_PasswordGrant)

    def admin(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)]) -> None:
        if creds is None or not secrets.compare_digest(creds.credentials, state.admin_secret):
            raise HTTPException(401, "development admin secret required")

    app = FastAPI(title="ALPR development OIDC issuer", version="0.1.0")
    app.state.issuer_state = state

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer_url,
            "jwks_uri": f"{issuer_url}/jwks",
            "token_endpoint": f"{issuer_url}/token",
            "grant_types_supported": ["client_credentials", "password"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return state.public_jwks()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "issuer"}

    @app.post("/token")
    async def token(request: Request) -> Any:
        form = await request.form()
        oauth_request = _FormRequest(
            request.method,
            str(request.url),
            request.headers,
            {k: str(v) for k, v in form.items()},
            dict(request.query_params),
        )
        return server.create_token_response(oauth_request)

    @app.post("/dev/tokens", dependencies=[Depends(admin)])
    async def mint(body: MintRequest) -> TokenOut:
        claims = identity_claims(
            sub=body.sub,
            name=body.name,
            agency=body.agency,
            roles=body.roles,
            training_expires=body.training_expires.isoformat() if body.training_expires else None,
            client_id=body.client_id,
            badge=body.badge,
        )
        client = ClientRecord(client_id="alpr-dev-cli", client_secret="", name="dev", agency="", roles=[])
        access = generator.access_token_generator(client, "dev", _Subject(body.sub, claims), "", body.ttl)
        return TokenOut(access_token=access, expires_in=body.ttl)

    @app.post("/dev/clients", dependencies=[Depends(admin)])
    async def register_client(body: ClientRegistration) -> dict[str, str]:
        secret = body.client_secret or secrets.token_urlsafe(24)
        state.put_client(
            ClientRecord(
                client_id=body.client_id,
                client_secret=secret,
                name=body.name,
                agency=body.agency,
                roles=body.roles,
            )
        )
        return {"client_id": body.client_id, "client_secret": secret}

    @app.post("/dev/users", dependencies=[Depends(admin)])
    async def register_user(body: UserRegistration) -> dict[str, str]:
        state.put_user(
            UserRecord(
                username=body.username,
                password=body.password,
                name=body.name,
                agency=body.agency,
                roles=body.roles,
                training_expires=body.training_expires.isoformat() if body.training_expires else None,
            )
        )
        return {"username": body.username}

    @app.post("/dev/rotate", dependencies=[Depends(admin)])
    async def rotate(keep_old: bool = True) -> dict[str, str]:
        return {"kid": state.rotate(keep_old=keep_old)}

    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: ``ALPR_ISSUER_DIR``, ``ALPR_ISSUER_URL``, ``OIDC_AUDIENCE``."""
    return create_issuer_app(
        Path(os.environ["ALPR_ISSUER_DIR"]),
        os.environ["ALPR_ISSUER_URL"],
        os.environ.get("OIDC_AUDIENCE", "alpr"),
    )
