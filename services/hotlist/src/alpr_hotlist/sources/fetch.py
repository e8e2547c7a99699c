"""Fetching a feed: over HTTP(S) with httpx, or a file under the configured feed directory
(nothing else on the host is readable through a source)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from ..settings import Settings


class FetchError(Exception):
    """The feed could not be fetched: the sync changes nothing."""


def check_url(url: str, settings: Settings) -> None:
    """Raises ``ValueError`` for a URL a source may not use."""
    parsed = urlparse(url)
    if parsed.scheme in {"http", "https"}:
        if not parsed.netloc:
            raise ValueError("the URL names no host")
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


async def fetch(url: str, settings: Settings, http: httpx.AsyncClient) -> bytes:
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
        async with http.stream("GET", url, timeout=settings.feed_timeout_seconds) as resp:
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
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc
