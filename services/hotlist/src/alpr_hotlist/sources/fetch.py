"""Fetching a feed: over HTTP(S) with httpx, or a file under the configured feed directory
(nothing else on the host is readable through a source)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx

from ..settings import Settings


class FetchError(Exception):
    """The feed could not be fetched: the sync changes nothing."""


def check_url(url: str, settings: Settings) -> None:
    """Raises ``ValueError`` for a URL a source may not use."""
    parsed = urlparse(url)
    if parsed.scheme in {"http", "https"}:
        try:
            if not httpx.URL(url).host:
                raise ValueError("the URL names no host")
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a valid URL ({exc})") from None
        return
    if parsed.scheme == "file":
        _file_path(url, settings)
        return
    raise ValueError("a source URL is https://, http:// or file://")


def _file_path(url: str, settings: Settings) -> Path:
    if settings.feed_dir is None:
        raise ValueError("file:// sources are off (HOTLIST_FEED_DIR is not set)")
    root = settings.feed_dir.resolve()
    path = Path(unquote(urlparse(url).path)).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"file:// sources must lie under {root}")
    return path


async def access_token(source: Mapping[str, Any], http: httpx.AsyncClient, timeout: float) -> str | None:
    """A partner feed's bearer token by the client-credentials grant at the partner's issuer;
    the secret comes from the environment variable the source names (never from the database)."""
    if not source.get("token_url"):
        return None
    secret = os.environ.get(source.get("client_secret_env") or "", "")
    if not source.get("client_id") or not secret:
        raise FetchError(f"the client secret variable {source.get('client_secret_env')!r} is not set")
    try:
        resp = await http.post(
            source["token_url"],
            data={"grant_type": "client_credentials"},
            auth=(source["client_id"], secret),
            timeout=timeout,
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"token endpoint: {type(exc).__name__}: {exc}") from exc
    if resp.status_code != 200:
        raise FetchError(f"the token endpoint answered HTTP {resp.status_code}")
    token = resp.json().get("access_token")
    if not isinstance(token, str):
        raise FetchError("the token endpoint answered no access_token")
    return token


async def fetch(url: str, settings: Settings, http: httpx.AsyncClient, token: str | None = None) -> bytes:
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
                raise FetchError(f"the feed answered HTTP {resp.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"the feed is larger than {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc
