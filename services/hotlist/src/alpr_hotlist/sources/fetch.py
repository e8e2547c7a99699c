"""Fetching a feed: over HTTP(S) through the outbound-URL policy, or a file under the
configured feed directory (nothing else on the host is readable through a source).

Issue 19: a sync's error (the sync log, the source, the ledger) never carries the target's
answer: "HTTP 401" from one port and "Server disconnected" from another would make the sync
an internal port scanner. Every failure of an allowed target reads the same; the server log
has the kind of failure. Secrets come only from variables the operator lists."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
import structlog

from alpr_common import OutboundBlocked, OutboundClient

from ..settings import Settings
from .repository import SourceRow

_log = structlog.get_logger("alpr.hotlist.fetch")
FEED_UNREACHABLE = "the feed could not be fetched"
TOKEN_UNREACHABLE = "the partner's token endpoint gave no token"


class FetchError(Exception):
    """The feed could not be fetched: the sync changes nothing."""


async def check_url(url: str, settings: Settings) -> None:
    """Raises ``ValueError`` (``OutboundBlocked`` among them) for a URL a source may not use."""
    parsed = urlparse(url)
    if "@" in parsed.netloc:  # issue 19: never stored, shown or written to the ledger
        raise ValueError("a URL may not carry credentials (user:password@)")
    if parsed.scheme in {"http", "https"}:
        await settings.outbound_policy.check(url)
        return
    if parsed.scheme == "file":
        _file_path(url, settings)
        return
    raise ValueError("a source URL is https://, http:// or file://")


async def check_token_url(url: str, settings: Settings) -> None:
    """A token endpoint: http(s) under the outbound-URL policy only."""
    await settings.outbound_policy.check(url)


def check_secret_env(name: str, settings: Settings) -> None:
    """Raises ``ValueError`` for a variable the operator does not list in
    ``HOTLIST_SOURCE_SECRET_ENVS`` (issue 19: never any variable of the service's)."""
    if name not in settings.source_secret_env_names:
        raise ValueError(f"{name!r} is not one of the variables HOTLIST_SOURCE_SECRET_ENVS allows")


def _file_path(url: str, settings: Settings) -> Path:
    if settings.feed_dir is None:
        raise ValueError("file:// sources are off (HOTLIST_FEED_DIR is not set)")
    root = settings.feed_dir.resolve()
    path = Path(unquote(urlparse(url).path)).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"file:// sources must lie under {root}")
    return path


def _host(url: str) -> str | None:
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return None


async def access_token(source: SourceRow, http: OutboundClient, settings: Settings) -> str | None:
    """A partner feed's bearer token by the client-credentials grant at the partner's issuer;
    the secret comes from the environment variable the source names (never from the database),
    which the operator's list must still allow now (a list shrunk since the source was made)."""
    token_url = source.token_url
    if not token_url:
        return None
    name = source.client_secret_env or ""
    try:
        check_secret_env(name, settings)
    except ValueError as exc:
        raise FetchError(f"client_secret_env: {exc}") from None
    secret = os.environ.get(name, "")
    if not source.client_id or not secret:
        raise FetchError(f"the client secret variable {name!r} is not set")
    try:
        resp = await http.post(
            token_url,
            data={"grant_type": "client_credentials"},
            auth=(source.client_id, secret),
            timeout=settings.feed_timeout_seconds,
        )
        token = resp.json().get("access_token") if resp.status_code == 200 else None
    except OutboundBlocked as exc:
        raise FetchError(f"token_url: {exc}") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, AttributeError) as exc:
        _log.warning("hotlist_token_failed", host=_host(token_url), error=type(exc).__name__)
        raise FetchError(TOKEN_UNREACHABLE) from None
    if not isinstance(token, str):
        _log.warning("hotlist_token_failed", host=_host(token_url), status=resp.status_code)
        raise FetchError(TOKEN_UNREACHABLE)
    return token


async def fetch(url: str, settings: Settings, http: OutboundClient, token: str | None = None) -> bytes:
    limit = settings.max_feed_bytes
    if url.startswith("file://"):
        try:
            path = _file_path(url, settings)
            if path.stat().st_size > limit:
                raise FetchError(f"the file is larger than {limit} bytes")
            return path.read_bytes()
        except (OSError, ValueError) as exc:
            raise FetchError(str(exc)) from exc
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with http.stream("GET", url, timeout=settings.feed_timeout_seconds, headers=headers) as resp:
            if resp.status_code != 200:
                _log.warning("hotlist_feed_failed", host=_host(url), status=resp.status_code)
                raise FetchError(FEED_UNREACHABLE)
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"the feed is larger than {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except OutboundBlocked as exc:
        raise FetchError(str(exc)) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        _log.warning("hotlist_feed_failed", host=_host(url), error=type(exc).__name__)
        raise FetchError(FEED_UNREACHABLE) from None
