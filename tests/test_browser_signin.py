"""Browser sign-in (issue 18, item 4): the development issuer's authorization-code flow with
PKCE, driven over HTTP as a browser and a front end would (the sign-in page, its form, the
redirect with the code, the exchange at the token endpoint), and the token accepted by a
service. Refused: a wrong verifier, the ``plain`` method, no challenge, a redirect URI not
registered for ``alpr-ui`` (an error page, never a redirect there), a code used twice, a wrong
password, a form posted from another browser or site. The Keycloak realm's ``alpr-ui`` has
PKCE S256 and the password grant off."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from alpr_devstack.issuer import BROWSER_COOKIE, UI_CLIENT_ID, parse_redirect_uris, ui_redirect_uris
from alpr_devstack.testing import Infra, ServeService, bearer

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


class _Form(HTMLParser):
    """The sign-in page's form: its action and its inputs' names and values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self.action = named.get("action")
        if tag == "input" and named.get("name"):
            self.fields[str(named["name"])] = named.get("value") or ""


def _form(page: str) -> _Form:
    form = _Form()
    form.feed(page)
    return form


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Browser:
    """A browser and a front end at the issuer: one cookie jar, the real issuer over HTTP."""

    def __init__(self, infra: Infra, http: httpx.AsyncClient) -> None:
        self.infra = infra
        self.http = http
        ui = infra.issuer_state.client(UI_CLIENT_ID)
        assert ui is not None, "the issuer registers alpr-ui when it starts"
        assert ui.public
        assert ui.redirect_uris
        self.redirect_uri = ui.redirect_uris[0]

    def params(self, challenge: str | None, **extra: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": UI_CLIENT_ID,
            "redirect_uri": self.redirect_uri,
            "state": secrets.token_urlsafe(12),
        }
        if challenge is not None:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params.update(extra)
        return {k: v for k, v in params.items() if v != ""}

    async def open(self, params: dict[str, str]) -> httpx.Response:
        return await self.http.get("/authorize", params=params)

    async def sign_in(self, page: httpx.Response, username: str, password: str) -> httpx.Response:
        form = _form(page.text)
        assert form.action == "authorize"  # posted back to the issuer itself, relative
        assert set(form.fields) == {"nonce", "username", "password"}  # no request parameter in it
        return await self.http.post(
            "/authorize", data={"nonce": form.fields["nonce"], "username": username, "password": password}
        )

    async def code(self, username: str, challenge: str) -> tuple[str, str]:
        """Signed in through the page: the code and the state it came back with."""
        params = self.params(challenge)
        page = await self.open(params)
        assert page.status_code == 200, page.text
        back = await self.sign_in(page, username, PASSWORD)
        assert back.status_code == 302, back.text
        location = back.headers["location"]
        assert location.startswith(self.redirect_uri + "?")
        query = _query(location)
        assert query["state"] == params["state"]
        return query["code"], query["state"]

    async def exchange(self, code: str, verifier: str | None) -> httpx.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": UI_CLIENT_ID,
        }
        if verifier is not None:
            data["code_verifier"] = verifier
        return await self.http.post("/token", data=data)


@pytest.fixture
def user(infra: Infra) -> str:
    """A person at the issuer, as a demo user is (training current)."""
    username = f"pkce-{uuid.uuid4().hex[:8]}"
    resp = httpx.post(
        f"{infra.issuer_url}/dev/users",
        headers=infra.admin_headers(),
        json={
            "username": username,
            "password": PASSWORD,
            "name": "Pat Kce",
            "agency": "CA0019400",
            "roles": ["investigator"],
            "training_expires": "2099-12-31",
        },
        timeout=10,
    )
    resp.raise_for_status()
    return username


@pytest.fixture
async def browser(infra: Infra) -> Any:
    async with httpx.AsyncClient(base_url=infra.issuer_url, timeout=10) as http:
        yield Browser(infra, http)


async def test_discovery_names_the_code_flow_with_pkce(infra: Infra) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        doc = (await http.get(f"{infra.issuer_url}/.well-known/openid-configuration")).json()
    assert doc["authorization_endpoint"] == f"{infra.issuer_url}/authorize"
    assert doc["token_endpoint"] == f"{infra.issuer_url}/token"
    assert doc["response_types_supported"] == ["code"]
    assert "authorization_code" in doc["grant_types_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "none" in doc["token_endpoint_auth_methods_supported"]  # public clients


async def test_code_with_pkce_gives_a_token_a_service_accepts(
    browser: Browser, user: str, serve_service: ServeService
) -> None:
    verifier, challenge = _pkce()
    page = await browser.open(browser.params(challenge))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text  # a plain form
    cookie = page.headers["set-cookie"]
    assert f"{BROWSER_COOKIE}=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()

    code, _ = await browser.code(user, challenge)
    resp = await browser.exchange(code, verifier)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    token = resp.json()
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] > 0
    async with serve_service("search") as client:
        who = await client.get("/v1/whoami", headers=bearer(token["access_token"]))
    assert who.status_code == 200, who.text
    assert who.json() == {
        "sub": user,
        "name": "Pat Kce",
        "agency": "CA0019400",
        "roles": ["investigator"],
        "client_id": None,  # a person, not a machine client
        "training_expires": "2099-12-31",
    }


async def test_a_code_is_used_once(browser: Browser, user: str) -> None:
    verifier, challenge = _pkce()
    code, _ = await browser.code(user, challenge)
    assert (await browser.exchange(code, verifier)).status_code == 200
    again = await browser.exchange(code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_wrong_or_missing_verifier_is_refused_and_burns_the_code(browser: Browser, user: str) -> None:
    verifier, challenge = _pkce()
    code, _ = await browser.code(user, challenge)
    wrong = await browser.exchange(code, _pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # The code went with its first presentation: the right verifier comes too late.
    assert (await browser.exchange(code, verifier)).json()["error"] == "invalid_grant"

    code, _ = await browser.code(user, challenge)
    missing = await browser.exchange(code, None)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("case", "extra"),
    [
        ("no challenge", {}),
        ("plain method", {"code_challenge_method": "plain"}),
        ("no method (plain by default)", {"code_challenge_method": ""}),
    ],
)
async def test_authorization_without_s256_is_refused_to_the_client(
    browser: Browser, case: str, extra: dict[str, str]
) -> None:
    """The redirect URI is registered, so the refusal goes back to it (RFC 6749 4.1.2.1), with
    the state and no code; no sign-in page is shown."""
    verifier, challenge = _pkce()
    params = browser.params(None if case == "no challenge" else challenge, **extra)
    if case == "plain method":
        params["code_challenge"] = verifier
    resp = await browser.open(params)
    assert resp.status_code == 302, (case, resp.text)
    query = _query(resp.headers["location"])
    assert resp.headers["location"].startswith(browser.redirect_uri + "?")
    assert query["error"] == "invalid_request", case
    assert query["state"] == params["state"]
    assert "code" not in query
    assert "S256" in query["error_description"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "{registered}evil",  # a longer URI with the registered one as prefix
        "{registered}?next=https://evil.example/",
        "http://localhost:5174/",  # another loopback port
    ],
)
async def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(
    browser: Browser, redirect_uri: str
) -> None:
    uri = redirect_uri.format(registered=browser.redirect_uri)
    _, challenge = _pkce()
    for response_type in ("code", "token"):  # before and after the response type is checked
        resp = await browser.open(browser.params(challenge, redirect_uri=uri, response_type=response_type))
        assert resp.status_code == 400, resp.text
        assert "location" not in resp.headers
        assert resp.headers["content-type"].startswith("text/html")
        assert "Sign-in refused" in resp.text
        assert "<form" not in resp.text


async def test_an_unknown_client_or_a_missing_redirect_uri_gets_an_error_page(browser: Browser) -> None:
    _, challenge = _pkce()
    for params in (
        browser.params(challenge, client_id="no-such-client"),
        browser.params(challenge, redirect_uri=""),
    ):
        resp = await browser.open(params)
        assert resp.status_code == 400, resp.text
        assert "location" not in resp.headers


async def test_a_machine_client_cannot_use_the_code_flow(browser: Browser, infra: Infra) -> None:
    client_id = f"cam-{uuid.uuid4().hex[:6]}"
    infra.register_client(client_id, ["camera"])
    _, challenge = _pkce()
    resp = await browser.open(browser.params(challenge, client_id=client_id))
    assert resp.status_code == 400  # none of its redirect URIs is registered: nowhere to redirect
    assert "location" not in resp.headers


async def test_a_wrong_password_is_refused_on_the_page(browser: Browser, user: str) -> None:
    _, challenge = _pkce()
    page = await browser.open(browser.params(challenge))
    for username, password in ((user, "wrong"), ("nobody-such", PASSWORD)):
        resp = await browser.sign_in(page, username, password)
        assert resp.status_code == 401
        assert "location" not in resp.headers
        assert "Wrong username or password." in resp.text
        assert _form(resp.text).fields["nonce"] == _form(page.text).fields["nonce"]  # try again here
    # The right one then works on the same page.
    back = await browser.sign_in(page, user, PASSWORD)
    assert back.status_code == 302
    assert "code" in _query(back.headers["location"])


async def test_too_many_wrong_passwords_close_the_page(browser: Browser, user: str) -> None:
    _, challenge = _pkce()
    page = await browser.open(browser.params(challenge))
    statuses = [(await browser.sign_in(page, user, f"wrong-{n}")).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 403]
    resp = await browser.sign_in(page, user, PASSWORD)
    assert resp.status_code == 403
    assert "location" not in resp.headers


async def test_the_form_is_bound_to_its_browser_and_used_once(
    browser: Browser, user: str, infra: Infra
) -> None:
    """Another browser (no cookie: a cross-site post carries no SameSite=Lax cookie) or another
    site's page (its Origin) cannot post a sign-in form; a form signs in once."""
    _, challenge = _pkce()
    page = await browser.open(browser.params(challenge))
    nonce = _form(page.text).fields["nonce"]
    data = {"nonce": nonce, "username": user, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=infra.issuer_url, timeout=10) as other:
        resp = await other.post("/authorize", data=data)
    assert resp.status_code == 403
    assert "location" not in resp.headers
    resp = await browser.http.post("/authorize", data=data, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    assert "location" not in resp.headers
    resp = await browser.http.post("/authorize", data={**data, "nonce": "forged"})
    assert resp.status_code == 403

    assert (await browser.http.post("/authorize", data=data)).status_code == 302
    again = await browser.http.post("/authorize", data=data)
    assert again.status_code == 403
    assert "location" not in again.headers


async def test_cancel_goes_back_with_access_denied(browser: Browser) -> None:
    _, challenge = _pkce()
    params = browser.params(challenge)
    page = await browser.open(params)
    nonce = _form(page.text).fields["nonce"]
    resp = await browser.http.post("/authorize", data={"nonce": nonce, "action": "cancel"})
    assert resp.status_code == 302
    query = _query(resp.headers["location"])
    assert query["error"] == "access_denied"
    assert query["state"] == params["state"]
    assert "code" not in query


async def test_a_front_end_origin_may_call_the_token_endpoint(browser: Browser) -> None:
    """CORS: the origins of alpr-ui's redirect URIs (a browser front end exchanges its code
    from there); no other."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(browser.redirect_uri))
    for path in ("/token", "/.well-known/openid-configuration"):
        ok = await browser.http.options(
            path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert ok.status_code == 200, path
        assert ok.headers["access-control-allow-origin"] == origin
        other = await browser.http.options(
            path, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert other.status_code == 400, path
        assert "access-control-allow-origin" not in other.headers


def test_default_redirect_uris_are_the_console_and_each_swagger_ui() -> None:
    uris = ui_redirect_uris(["http://127.0.0.1:8004", "http://127.0.0.1:8003/"])
    assert "http://localhost:5173/" in uris
    assert "http://127.0.0.1:8004/docs/oauth2-redirect" in uris
    assert "http://localhost:8004/docs/oauth2-redirect" in uris
    assert "http://127.0.0.1:8003/docs/oauth2-redirect" in uris
    assert parse_redirect_uris(" https://console.example/cb , http://127.0.0.1:9/x") == [
        "https://console.example/cb",
        "http://127.0.0.1:9/x",
    ]
    for bad in ("console.example/cb", "javascript:alert(1)", "https://console.example/#frag"):
        with pytest.raises(ValueError, match="ALPR_UI_REDIRECT_URIS"):
            parse_redirect_uris(bad)


def test_keycloak_realm_ui_client_uses_pkce_and_no_password_grant() -> None:
    realm = json.loads((ROOT / "deploy" / "keycloak" / "realm.json").read_text())
    ui = next(c for c in realm["clients"] if c["clientId"] == UI_CLIENT_ID)
    assert ui["publicClient"] is True
    assert ui["standardFlowEnabled"] is True
    assert ui["directAccessGrantsEnabled"] is False
    assert ui.get("implicitFlowEnabled", False) is False
    assert ui["attributes"]["pkce.code.challenge.method"] == "S256"
    # Redirect URIs come from settings Keycloak resolves at import, each with a loopback default.
    assert ui["redirectUris"]
    for uri in ui["redirectUris"]:
        assert uri.startswith("${ALPR_UI_REDIRECT_URI"), uri
        default = uri.removesuffix("}").split(":", 1)[1]
        assert default.startswith(("http://localhost:", "http://127.0.0.1:")), uri
