"""The S3-compatible object store (MinIO in production), through the minio SDK."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import anyio
import urllib3
from minio import Minio

from ._settings import ServiceSettings


def make_object_store(settings: ServiceSettings) -> Minio:
    """A minio client for ``S3_ENDPOINT`` (``http://host:port`` or ``https://...``)."""
    parsed = urlparse(
        settings.s3_endpoint if "://" in settings.s3_endpoint else f"http://{settings.s3_endpoint}"
    )
    return Minio(
        parsed.netloc,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=parsed.scheme == "https",
        region=settings.s3_region,
        # Short timeouts and few retries: a store that is down or hung answers 503 quickly, at
        # worst after (1 + S3_RETRIES) x S3_TIMEOUT_S (4 s with the defaults).
        http_client=urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=settings.s3_timeout_s, read=settings.s3_timeout_s),
            maxsize=20,
            retries=urllib3.Retry(
                total=settings.s3_retries, backoff_factor=0.1, status_forcelist=(500, 502, 503, 504)
            ),
        ),
    )


async def check_bucket(store: Minio, bucket: str, timeout_s: float = 3.0) -> None:
    """Raises unless the bucket exists and the credentials are accepted."""
    with anyio.fail_after(timeout_s):
        exists = await anyio.to_thread.run_sync(store.bucket_exists, bucket, abandon_on_cancel=True)
    if not exists:
        raise RuntimeError(f"bucket {bucket!r} does not exist")


def presigned_url(store: Minio, bucket: str, key: str | None, seconds: int) -> str | None:
    """A URL to ``key`` good for ``seconds`` (computed locally: no call to the store); none
    where there is no key."""
    if not key:
        return None
    url: str = store.presigned_get_object(bucket, key, expires=timedelta(seconds=seconds))
    return url


def ensure_bucket(store: Minio, bucket: str) -> None:
    """Creates the bucket when missing (used by the development stack and tests)."""
    if not store.bucket_exists(bucket):
        store.make_bucket(bucket)
