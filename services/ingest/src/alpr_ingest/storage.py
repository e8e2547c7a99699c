"""Objects in the store: keys by capture date (UTC), and blocking minio calls kept off the
event loop. A store that does not answer is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import anyio
import urllib3
from minio import Minio
from minio.error import MinioException

from alpr_common import Unavailable


def frame_key(agency: str, captured_at: datetime, sha256: str, ext: str) -> str:
    day = captured_at.astimezone(UTC)
    return f"frames/{agency}/{day:%Y/%m/%d}/{sha256}.{ext}"


def crop_key(agency: str, captured_at: datetime, read_id: str) -> str:
    day = captured_at.astimezone(UTC)
    return f"crops/{agency}/{day:%Y/%m/%d}/{read_id}.jpg"


_STORE_ERRORS = (MinioException, urllib3.exceptions.HTTPError, OSError)


class ObjectStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        def put() -> None:
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

        try:
            await anyio.to_thread.run_sync(put)
        except _STORE_ERRORS as exc:
            raise Unavailable("The object store is unavailable; nothing was stored.") from exc

    async def get(self, key: str) -> bytes:
        def get() -> bytes:
            resp = self.client.get_object(self.bucket, key)
            try:
                return resp.read()
            finally:
                resp.close()
                resp.release_conn()

        try:
            return await anyio.to_thread.run_sync(get)
        except _STORE_ERRORS as exc:
            raise Unavailable("The object store is unavailable.") from exc

    async def delete(self, key: str) -> None:
        try:
            await anyio.to_thread.run_sync(self.client.remove_object, self.bucket, key)
        except _STORE_ERRORS as exc:
            raise Unavailable("The object store is unavailable.") from exc

    async def exists(self, key: str) -> bool:
        def stat() -> bool:
            try:
                self.client.stat_object(self.bucket, key)
            except MinioException as exc:
                if getattr(exc, "code", None) in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                    return False
                raise
            return True

        try:
            return await anyio.to_thread.run_sync(stat)
        except _STORE_ERRORS as exc:
            raise Unavailable("The object store is unavailable.") from exc

    def presign(self, key: str, seconds: int) -> str:
        """A presigned GET URL (computed locally: no call to the store)."""
        return self.client.presigned_get_object(self.bucket, key, expires=timedelta(seconds=seconds))


def now() -> datetime:
    return datetime.now(UTC)
