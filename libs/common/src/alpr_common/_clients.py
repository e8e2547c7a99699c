"""Typed async REST clients for calling the other services.

Every client carries the calling service's own token (client-credentials grant, cached
until shortly before it expires), the request id of the request being served, and the
trace context (httpx is instrumented by OpenTelemetry)."""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
import time
import urllib.request
from typing import Any, TypeVar

import httpcore
import httpx
from opentelemetry import propagate, trace
from pydantic import BaseModel

from ._observability import REQUEST_ID_HEADER, request_id_var
from ._problems import PROBLEM_MEDIA_TYPE, Problem, Unavailable

ModelT = TypeVar("ModelT", bound=BaseModel)


class ServiceCallError(Exception):
    """Another service answered with a problem document (4xx, or 5xx after retries)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(f"{problem.status} {problem.type}: {problem.detail}")


@functools.cache
def tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """The process's TLS context for its HTTP clients, as httpx makes it (certifi's CA bundle, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` with ``trust_env``), made once: httpx loads the bundle again
    for every client and transport it makes (25-70 ms each here), and a context is shared safely."""
    return httpx.create_ssl_context(trust_env=trust_env)


# httpcore's errors as httpx raises them (its own mapping, most specific first): a call through
# ``ServiceTransport`` fails with the same exceptions as one through an ``httpx.AsyncClient``.
_HTTPCORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)
_HTTPCORE_BASES = tuple(core for core, _ in _HTTPCORE_ERRORS)


class ServiceTransport:
    """The lean way to another service of the platform (issue 16: the audit append every view
    pays): one HTTP/1.1 keep-alive pool of httpcore, the engine under httpx, without httpx's
    client layer (request building, cookies, auth and redirect handling, event hooks) and its
    per-call OpenTelemetry wrapper. Half of search's CPU per request was that one call.

    Same limits, timeouts and TLS verification as the app's ``httpx.AsyncClient`` (``timeout``;
    100 connections, 20 kept alive for 5 s), the same exceptions (httpx's), an ``httpx.Response``
    with the body read. Not for a process with proxies in its environment (``service_transport``
    answers None there: httpx's client honours them). ``ServiceClient`` takes it only for a call
    with a body of bytes or none and while the current span is not recording: a recorded trace
    still gets httpx's client span."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(),  # as httpx verifies (certifi, SSL_CERT_FILE)
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )
        self._extensions: dict[str, Any] = {"timeout": timeout.as_dict()}

    async def request(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None
    ) -> httpx.Response:
        try:
            resp = await self._pool.request(
                method, url, headers=list(headers.items()), content=content, extensions=self._extensions
            )
        except _HTTPCORE_BASES as exc:
            for core, mapped in _HTTPCORE_ERRORS:
                if isinstance(exc, core):
                    raise mapped(str(exc)) from exc
            raise  # pragma: no cover - every base is in the map
        return httpx.Response(resp.status, headers=resp.headers, content=resp.content)

    async def aclose(self) -> None:
        await self._pool.aclose()


def service_transport(timeout: httpx.Timeout) -> ServiceTransport | None:
    """The app's ``ServiceTransport``, or None where the environment names proxies (``HTTP_PROXY``
    and the like): calls then go through httpx's client, which honours them."""
    return None if urllib.request.getproxies() else ServiceTransport(timeout)


class ClientCredentials:
    """Access tokens for this service from the issuer's token endpoint (client-credentials
    grant), cached until ``refresh_margin_s`` before they expire."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._http = http
        self._margin = refresh_margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._token_url: str | None = None
        self._lock = asyncio.Lock()

    async def _endpoint(self) -> str:
        if self._token_url is None:
            resp = await self._http.get(f"{self.issuer}/.well-known/openid-configuration")
            resp.raise_for_status()
            self._token_url = str(resp.json()["token_endpoint"])
        return self._token_url

    async def token(self) -> str:
        if self._token and time.monotonic() < self._expires_at - self._margin:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at - self._margin:
                return self._token
            try:
                resp = await self._http.post(
                    await self._endpoint(),
                    data={"grant_type": "client_credentials"},
                    auth=(self.client_id, self._secret),
                )
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                raise Unavailable("The identity provider could not issue a service token.") from exc
            body = resp.json()
            self._token = str(body["access_token"])
            self._expires_at = time.monotonic() + float(body.get("expires_in", 300))
            return self._token


class ServiceClient:
    """Base of the typed clients; subclasses add one method per operation they use."""

    service_name = "service"

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.AsyncClient,
        credentials: ClientCredentials | None,
        retries: int = 2,
        transport: ServiceTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._credentials = credentials
        self._retries = retries
        self._transport = transport

    async def _headers(self, token: str | None) -> dict[str, str]:
        headers: dict[str, str] = {"Accept": f"application/json, {PROBLEM_MEDIA_TYPE}"}
        bearer = token or (await self._credentials.token() if self._credentials else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        request_id = request_id_var.get()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        # W3C trace context of the current span, whatever transport carries the call.
        propagate.inject(headers)
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """Calls the service; connection failures and 502-504 are retried, then 503."""
        last: Exception | None = None
        for attempt in range(self._retries + 1):
            try:
                headers = await self._headers(token)
                if content is not None:
                    headers["Content-Type"] = "application/json"
                url = f"{self.base_url}{path}"
                lean = self._transport is not None and json is None and _PLAIN_URL.fullmatch(url)
                if lean and self._transport is not None and _unrecorded():
                    if params:
                        url = f"{url}?{httpx.QueryParams(params)}"
                    resp = await self._transport.request(method, url, headers, content)
                else:
                    resp = await self._http.request(
                        method,
                        f"{self.base_url}{path}",
                        json=json,
                        content=content,
                        params=params,
                        headers=headers,
                    )
            except httpx.TransportError as exc:
                last = exc
            else:
                if resp.status_code not in (502, 503, 504):
                    if resp.status_code >= 400:
                        raise ServiceCallError(_problem_of(resp))
                    return resp
                last = ServiceCallError(_problem_of(resp))
            if attempt < self._retries:
                await asyncio.sleep(0.1 * 2**attempt)
        raise Unavailable(f"The {self.service_name} service is unavailable.") from last

    async def get_model(self, path: str, model: type[ModelT], **kwargs: Any) -> ModelT:
        resp = await self.request("GET", path, **kwargs)
        return model.model_validate_json(resp.content)

    async def post_model(
        self, path: str, body: BaseModel | None, model: type[ModelT], **kwargs: Any
    ) -> ModelT:
        # Serialised and parsed by pydantic itself (no dict in between): the hot path of every
        # audit append (issue 16).
        content = body.model_dump_json(exclude_none=True).encode() if body is not None else None
        resp = await self.request("POST", path, content=content, **kwargs)
        return model.model_validate_json(resp.content)


# A URL with nothing for httpx to encode (no space, nothing outside ASCII, no query of its own):
# any other goes through httpx's client, which encodes it.
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/@!$&'()*+,;=%\[\]]+")


def _unrecorded() -> bool:
    """True when the current span is not recorded (no exporter, or not sampled)."""
    return not trace.get_current_span().is_recording()


def _problem_of(resp: httpx.Response) -> Problem:
    try:
        return Problem.model_validate(resp.json())
    except ValueError:
        return Problem(
            type=f"urn:alpr:problem:http-{resp.status_code}",
            title="Error",
            status=resp.status_code,
            detail=resp.text[:200],
        )
