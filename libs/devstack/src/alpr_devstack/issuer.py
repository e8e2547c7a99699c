"""The development OIDC issuer (dev and tests only; production uses Keycloak).

Built on authlib's OAuth 2.0 authorization server (authorization-code with PKCE,
client-credentials and password grants, client authentication, error responses) and joserfc
(RSA keys, JWKS, RS256 signing). It serves discovery, JWKS and RFC 9068 JWT access tokens
(``typ: at+jwt``, ``kid``) with the claims the platform reads; a sign-in page for browsers
(``/authorize``: the public client ``alpr-ui``, PKCE S256 required, redirect URIs matched
exactly, issue 18 item 4); and a few development endpoints guarded by an admin secret: minting a
token with any claims (``alpr dev token``), registering clients and users, and rotating the
signing key.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ResourceOwnerPasswordCredentialsGrant,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import BaseModel, Field

from alpr_common import MACHINE_ROLES

DEFAULT_TTL_S = 3600
# The public client of browser front ends (the console, Swagger UI): authorization code with
# PKCE, no secret. Its redirect URIs: ``ALPR_UI_REDIRECT_URIS`` (comma list).
UI_CLIENT_ID = "alpr-ui"
UI_REDIRECT_URIS_ENV = "ALPR_UI_REDIRECT_URIS"
# Where a local console (Vite's dev server) receives the code, unless the setting says otherwise.
CONSOLE_REDIRECT_URIS = ("http://localhost:5173/", "http://127.0.0.1:5173/")
# Where Swagger UI receives the code, under each service's base URL (``alpr_common._docs``).
SWAGGER_REDIRECT_PATH = "/docs/oauth2-redirect"
CODE_TTL_S = 60  # an authorization code is exchanged at once, or never (RFC 6749 4.1.2)
LOGIN_TTL_S = 600  # how long a sign-in page stays usable
LOGIN_ATTEMPTS = 5  # wrong passwords on one page before it must be opened again
BROWSER_COOKIE = "alpr_issuer_browser"


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
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # the request names its redirect URI, always

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exactly as registered: no prefix, pattern or loopback-port leniency (no open redirect).
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    # A machine client's identity (``identity_claims``): it is its own subject, with no training.
    @property
    def sub(self) -> str:
        return self.client_id

    @property
    def training_expires(self) -> None:
        return None

    @property
    def badge(self) -> None:
        return None


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

    # A person's identity (``identity_claims``): the username is the subject; no client of its own.
    @property
    def sub(self) -> str:
        return self.username

    @property
    def client_id(self) -> None:
        return None


@dataclass
class _Subject:
    """Any identity the generator signs for: claims are taken as given."""

    sub: str
    claims: dict[str, Any]

    def get_user_id(self) -> str:
        return self.sub


@dataclass(frozen=True)
class _Keys:
    current: str | None
    private: dict[str, RSAKey]
    public: tuple[dict[str, Any], ...]


# Parsed key files by path, with the version they were parsed from. Parsing a private RSA key
# checks it, about 30 ms for 2,048 bits: every token minted and every JWKS answer (once per key
# published) paid it, a minute of the issuer's CPU in a test run. The file is replaced, never
# written in place, so its inode, size and modification time name a version; another process
# may have rotated it since (the issuer's `/dev/rotate` beside a test's `IssuerState`).
_PARSED_KEYS: dict[Path, tuple[tuple[int, int, int], _Keys]] = {}


def _parsed_keys(path: Path) -> _Keys:
    stat = path.stat()
    version = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    cached = _PARSED_KEYS.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    data = json.loads(path.read_text())
    private = {raw["kid"]: RSAKey.import_key(raw) for raw in data["keys"]}
    keys = _Keys(data["current"], private, tuple(key.as_dict(private=False) for key in private.values()))
    _PARSED_KEYS[path] = (version, keys)
    return keys


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
        keys = _parsed_keys(self.keys_path)
        if keys.current not in keys.private:
            raise RuntimeError("no current signing key")
        return keys.private[keys.current]

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": list(_parsed_keys(self.keys_path).public)}

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

    def usernames(self) -> list[str]:
        return sorted(self._read(self.users_path))

    def put_user(self, record: UserRecord) -> None:
        with self._lock:
            data = self._read(self.users_path)
            data[record.username] = asdict(record)
            self._write(self.users_path, data)


class Identity(Protocol):
    """Whom a token is for: a user, a client, or the claims of a development token."""

    @property
    def sub(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def roles(self) -> list[str]: ...
    @property
    def training_expires(self) -> date | str | None: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def badge(self) -> str | None: ...


def identity_claims(who: Identity) -> dict[str, Any]:
    """The platform's claims; machine-only role sets carry ``client_id`` (= ``sub`` unless given),
    people may carry a ``badge`` number."""
    claims: dict[str, Any] = {"sub": who.sub, "name": who.name, "agency": who.agency, "roles": who.roles}
    if who.training_expires:
        claims["alpr_training_expires"] = str(who.training_expires)  # an ISO date
    if who.badge:
        claims["badge"] = who.badge
    client_id = who.client_id
    if client_id is None and who.roles and set(who.roles) <= MACHINE_ROLES:
        client_id = who.sub
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
        return identity_claims(user if isinstance(user, UserRecord) else client)

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
        if user and secrets.compare_digest(user.password.encode(), password.encode()):
            return user
        return None


class _ClientCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass
class _AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    """An issued code: bound to its client, redirect URI, user and PKCE challenge."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class _Codes:
    """Codes issued and not yet presented, in memory (the issuer is one process; a restart
    forgets them, which only makes a sign-in in flight start again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, _AuthorizationCode] = {}

    def put(self, code: _AuthorizationCode) -> None:
        with self._lock:
            now = time.time()
            self._codes = {k: c for k, c in self._codes.items() if c.expires_at > now}
            self._codes[code.code] = code

    def take(self, code: str, client_id: str) -> _AuthorizationCode | None:
        """The code, once: it is gone after its first presentation, whatever the outcome of
        that exchange (a wrong verifier burns it too), so a code is single use (RFC 6749 4.1.2)."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found.client_id != client_id or found.expires_at <= time.time():
            return None
        return found


class _AuthorizationCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.codes.put(
            _AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                username=request.user.username,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=time.time() + CODE_TTL_S,
            )
        )

    def query_authorization_code(self, code: str, client: ClientRecord) -> _AuthorizationCode | None:
        codes: _Codes = self.server.codes
        return codes.take(code, client.client_id)

    def delete_authorization_code(self, authorization_code: _AuthorizationCode) -> None:
        return None  # taken on its first presentation (``_Codes.take``)

    def authenticate_user(self, authorization_code: _AuthorizationCode) -> UserRecord | None:
        state: IssuerState = self.server.state
        return state.user(authorization_code.username)


class _S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE required on every authorization request, and only S256 (``plain`` would put the
    verifier itself in the browser's address bar)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, state: IssuerState) -> None:
        super().__init__()
        self.state = state
        self.codes = _Codes()

    def query_client(self, client_id: str) -> ClientRecord | None:
        return self.state.client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        return None  # JWTs are self-contained; nothing to store

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        headers = dict(headers)
        if "Location" in headers:  # a redirect back to the client (code or error): no body
            return Response(status_code=status, headers={**headers, "Cache-Control": "no-store"})
        return JSONResponse(body, status_code=status, headers=headers)


_admin_bearer = HTTPBearer(auto_error=False)


class _Payload(BasicOAuth2Payload):  # type: ignore[misc]
    """Parameters with every value kept, so that a repeated one is refused (RFC 6749 3.1)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        super().__init__(dict(items))
        self._datalist: dict[str, list[str]] = {}
        for key, value in items:
            self._datalist.setdefault(key, []).append(value)


class _FormRequest(OAuth2Request):  # type: ignore[misc]
    """authlib's request over an already-read form body (the token endpoint) or over the
    authorization request's parameters (``/authorize``)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Any,
        form: dict[str, str],
        args: dict[str, str],
        params: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._form = form
        self._args = args
        self.payload = _Payload(params) if params is not None else BasicOAuth2Payload(form)

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


def ui_redirect_uris(service_urls: Iterable[str] = ()) -> list[str]:
    """The default redirect URIs of ``alpr-ui``: the local console, and Swagger UI's callback
    under each service's base URL (``http://127.0.0.1:8004`` also as ``localhost``, which a
    browser treats as another origin)."""
    uris = list(CONSOLE_REDIRECT_URIS)
    for url in service_urls:
        base = url.rstrip("/")
        uris.append(base + SWAGGER_REDIRECT_PATH)
        if "//127.0.0.1:" in base:
            uris.append(base.replace("//127.0.0.1:", "//localhost:") + SWAGGER_REDIRECT_PATH)
    return uris


def parse_redirect_uris(value: str) -> list[str]:
    """``ALPR_UI_REDIRECT_URIS``: a comma list of absolute http(s) URIs without a fragment."""
    uris = [part.strip() for part in value.split(",") if part.strip()]
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment:
            raise ValueError(
                f"{UI_REDIRECT_URIS_ENV}: {uri!r} is not an absolute http(s) URI without a fragment"
            )
    return uris


def ui_client(redirect_uris: Sequence[str]) -> ClientRecord:
    """``alpr-ui``: public (no secret), authorization code with PKCE; the password grant stays
    on in development only, for scripts (the Keycloak realm has it off)."""
    return ClientRecord(
        client_id=UI_CLIENT_ID,
        client_secret="",
        name="ALPR front end",
        agency="",
        roles=[],
        public=True,
        grant_types=["authorization_code", "password"],
        redirect_uris=list(redirect_uris),
    )


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class _SignIn:
    """An authorization request shown as a sign-in page: its parameters, kept here rather than
    in the form, and the browser (cookie) it was shown to."""

    params: list[tuple[str, str]]
    browser: str
    expires_at: float
    failures: int = 0


class _SignIns:
    """Sign-in pages in flight, by the nonce their form carries: a form posted back must name
    one shown to the same browser (its ``SameSite=Lax`` cookie, which a cross-site form post
    does not carry), so another site cannot sign a browser in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, _SignIn] = {}

    def open(self, params: list[tuple[str, str]], browser: str) -> str:
        nonce = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._pages = {k: p for k, p in self._pages.items() if p.expires_at > now}
            self._pages[nonce] = _SignIn(params, browser, now + LOGIN_TTL_S)
        return nonce

    def get(self, nonce: str, browser: str | None) -> _SignIn | None:
        with self._lock:
            page = self._pages.get(nonce)
        if page is None or page.expires_at <= time.time():
            return None
        if browser is None or not secrets.compare_digest(page.browser.encode(), browser.encode()):
            return None
        return page

    def fail(self, nonce: str, page: _SignIn) -> bool:
        """One more wrong password; False once the page has had too many (it is closed)."""
        with self._lock:
            page.failures += 1
            if page.failures >= LOGIN_ATTEMPTS:
                self._pages.pop(nonce, None)
                return False
        return True

    def close(self, nonce: str) -> bool:
        """The page is used: True for the one request that closes it."""
        with self._lock:
            return self._pages.pop(nonce, None) is not None


_PAGE_STYLE = (
    "body{font:16px system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem;color:#222}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}"
    "button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00}.note{color:#666;font-size:.85rem}"
)
# The issuer's pages load nothing, run no script and are never framed. Their address (the
# authorization request) goes to no other origin; not `no-referrer`, under which a browser sends
# the sign-in form's own post with `Origin: null`, which the form's origin check refuses.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _page(title: str, body: str, status: int) -> HTMLResponse:
    text = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"><style>{_PAGE_STYLE}</style></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(text, status_code=status, headers=_PAGE_HEADERS)


def _error_page(description: str, status: int = 400) -> HTMLResponse:
    """A refused authorization request whose redirect URI is not one registered for the client:
    said here, never sent to that URI."""
    return _page(
        "Sign-in refused",
        f'<p class="error">{html.escape(description)}</p><p>Start again from the application.</p>',
        status,
    )


def _sign_in_page(
    client: ClientRecord,
    redirect_uri: str,
    nonce: str,
    usernames: Iterable[str],
    error: str | None,
    status: int,
) -> HTMLResponse:
    options = "".join(f'<option value="{html.escape(u)}">' for u in sorted(usernames))
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page(
        "Sign in",
        f"<p>to <strong>{html.escape(client.name)}</strong> at {html.escape(_origin(redirect_uri))}</p>"
        f"{problem}"
        '<form method="post" action="authorize">'
        f'<input type="hidden" name="nonce" value="{html.escape(nonce)}">'
        '<label for="username">Username</label>'
        '<input id="username" name="username" list="users" autocomplete="username" required autofocus>'
        f'<datalist id="users">{options}</datalist>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        '<button type="submit" name="action" value="sign-in">Sign in</button> '
        '<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>'
        "</form>"
        '<p class="note">Development issuer: the demo users are <code>demo-&lt;role&gt;</code>.</p>',
        status,
    )


def create_issuer_app(
    data_dir: Path,
    issuer_url: str,
    audience: str = "alpr",
    ui_redirect_uris: Sequence[str] | None = None,
) -> FastAPI:
    """The development issuer as an ASGI app (run with uvicorn on 127.0.0.1). With
    ``ui_redirect_uris``, ``alpr-ui`` is (re)registered with them; browsers at their origins
    may call discovery and the token endpoint (CORS)."""
    issuer_url = issuer_url.rstrip("/")
    state = IssuerState(data_dir)
    if ui_redirect_uris is not None:
        state.put_client(ui_client(ui_redirect_uris))
    server = _Server(state)
    generator = _Generator(issuer_url, audience, state, DEFAULT_TTL_S)
    server.register_token_generator("default", generator)
    server.register_grant(_AuthorizationCodeGrant, [_S256Challenge(required=True)])
    server.register_grant(_ClientCredentialsGrant)
    server.register_grant(_PasswordGrant)
    sign_ins = _SignIns()
    secure_cookie = issuer_url.startswith("https://")

    def admin(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)]) -> None:
        given = creds.credentials.encode() if creds is not None else b""
        if creds is None or not secrets.compare_digest(given, state.admin_secret.encode()):
            raise HTTPException(401, "development admin secret required")

    app = FastAPI(title="ALPR development OIDC issuer", version="0.1.0")
    app.state.issuer_state = state
    ui = state.client(UI_CLIENT_ID)
    if ui is not None and ui.redirect_uris:
        # A browser front end reads discovery and exchanges its code from its own origin.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted({_origin(uri) for uri in ui.redirect_uris}),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Requested-With"],
        )

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer_url,
            "authorization_endpoint": f"{issuer_url}/authorize",
            "jwks_uri": f"{issuer_url}/jwks",
            "token_endpoint": f"{issuer_url}/token",
            "grant_types_supported": ["authorization_code", "client_credentials", "password"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["public"],
        }

    def authorization_request(request: Request, params: list[tuple[str, str]]) -> _FormRequest:
        return _FormRequest(
            "GET", f"{issuer_url}/authorize", request.headers, {}, dict(params), params=params
        )

    def refused(oauth_request: _FormRequest, error: OAuth2Error) -> Response:
        """To the client's (registered) redirect URI when authlib validated one, else a page."""
        if error.redirect_uri:
            response: Response = server.handle_error_response(oauth_request, error)
            return response
        return _error_page(error.description or error.error or "invalid request")

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(request: Request) -> Response:
        """The authorization endpoint: a valid request (client, exact redirect URI, PKCE S256)
        is answered with the sign-in page."""
        params = list(request.query_params.multi_items())
        oauth_request = authorization_request(request, params)
        try:
            grant = server.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            return refused(oauth_request, error)
        browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
        nonce = sign_ins.open(params, browser)
        page = _sign_in_page(grant.client, grant.redirect_uri, nonce, state.usernames(), None, 200)
        page.set_cookie(
            BROWSER_COOKIE, browser, httponly=True, samesite="lax", secure=secure_cookie, path="/authorize"
        )
        return page

    @app.post("/authorize", response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        """The sign-in form: the user's name and password, then a redirect with the code."""
        form = await request.form()
        nonce = str(form.get("nonce", ""))
        origin = request.headers.get("origin")
        same_site = {_origin(issuer_url), _origin(str(request.base_url))}  # the form's own page
        page = sign_ins.get(nonce, request.cookies.get(BROWSER_COOKIE))
        if (origin is not None and origin not in same_site) or page is None:
            return _error_page("This sign-in page has expired or was not opened in this browser.", 403)
        oauth_request = authorization_request(request, page.params)
        try:
            grant = server.get_consent_grant(oauth_request)  # again: the client may have changed
        except OAuth2Error as error:
            sign_ins.close(nonce)
            return refused(oauth_request, error)
        user: UserRecord | None = None
        if form.get("action") != "cancel":
            user = state.user(str(form.get("username", "")))
            if user is None or not secrets.compare_digest(
                user.password.encode(), str(form.get("password", "")).encode()
            ):
                if not sign_ins.fail(nonce, page):
                    return _error_page("Too many wrong passwords on this page.", 403)
                return _sign_in_page(
                    grant.client,
                    grant.redirect_uri,
                    nonce,
                    state.usernames(),
                    "Wrong username or password.",
                    401,
                )
        if not sign_ins.close(nonce):  # the same form posted twice at once: one wins
            return _error_page("This sign-in page has already been used.", 403)
        response: Response = server.create_authorization_response(oauth_request, grant_user=user, grant=grant)
        return response

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
        claims = identity_claims(body)
        client = ClientRecord(client_id="alpr-dev-cli", client_secret="", name="dev", agency="", roles=[])
        access = generator.access_token_generator(client, "dev", _Subject(body.sub, claims), "", body.ttl)
        return TokenOut(access_token=access, expires_in=body.ttl)

    @app.post("/dev/clients", dependencies=[Depends(admin)])
    async def register_client(body: ClientRegistration) -> dict[str, str]:
        secret = body.client_secret or secrets.token_urlsafe(24)
        state.put_client(ClientRecord(**body.model_dump(exclude={"client_secret"}), client_secret=secret))
        return {"client_id": body.client_id, "client_secret": secret}

    @app.post("/dev/users", dependencies=[Depends(admin)])
    async def register_user(body: UserRegistration) -> dict[str, str]:
        training_expires = body.training_expires.isoformat() if body.training_expires else None
        state.put_user(
            UserRecord(**body.model_dump(exclude={"training_expires"}), training_expires=training_expires)
        )
        return {"username": body.username}

    @app.post("/dev/rotate", dependencies=[Depends(admin)])
    async def rotate(keep_old: bool = True) -> dict[str, str]:
        return {"kid": state.rotate(keep_old=keep_old)}

    return app


def serve_command(port: int) -> list[str]:
    """The command that serves this issuer (``app_from_env``) on ``127.0.0.1:port``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "alpr_devstack.issuer:app_from_env",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: ``ALPR_ISSUER_DIR``, ``ALPR_ISSUER_URL``,
    ``OIDC_AUDIENCE`` and ``ALPR_UI_REDIRECT_URIS`` (a comma list; unset: the local console's,
    ``ui_redirect_uris()``; ``alpr dev up`` adds each service's Swagger UI callback)."""
    redirects = os.environ.get(UI_REDIRECT_URIS_ENV)
    return create_issuer_app(
        Path(os.environ["ALPR_ISSUER_DIR"]),
        os.environ["ALPR_ISSUER_URL"],
        os.environ.get("OIDC_AUDIENCE", "alpr"),
        parse_redirect_uris(redirects) if redirects is not None else ui_redirect_uris(),
    )
