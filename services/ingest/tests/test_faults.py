"""Faults lose nothing: with the object store stopped, uploads answer 503 with Retry-After and
leave no row; when it is back they succeed; no row ever lacks its object, and no object its row."""

from __future__ import annotations

from pathlib import Path

from ingest_support import Stack, jpeg, post_frame
from pydantic import SecretStr

from alpr_common import make_object_store
from alpr_devstack.testing import problem, serve, worker_store
from alpr_ingest.app import create_app


async def test_object_store_down_then_back(stack: Stack, tmp_path: Path) -> None:
    store = worker_store(tmp_path / "s3", "faultkey", "fault-secret-key", bucket="faults")
    proc = store.start()
    settings = stack.settings.model_copy(
        update={
            "s3_endpoint": store.endpoint,
            "s3_access_key": "faultkey",
            "s3_secret_key": SecretStr(store.secret_key),
            "s3_bucket": "faults",
        }
    )
    camera_id, token = await stack.camera()
    statuses: list[int] = []
    try:
        async with serve(create_app(settings)) as client:

            async def upload(seed: int) -> int:
                resp = await post_frame(client, camera_id, token, jpeg(seed, size=(200, 150)))
                if resp.status_code == 503:
                    assert problem(resp)["type"] == "urn:alpr:problem:unavailable"
                    assert resp.headers["retry-after"]
                return resp.status_code

            statuses += [await upload(s) for s in range(3)]
            assert statuses == [202, 202, 202]

            proc.terminate()
            proc.wait(30)
            down = [await upload(s) for s in range(10, 13)]
            assert down == [503, 503, 503]
            assert (await client.get("/readyz")).json()["checks"]["object_store"] == "failed"

            proc = store.start()
            back = [await upload(s) for s in range(10, 13)]
            assert back == [202, 202, 202]
    finally:
        proc.terminate()
        proc.wait(30)
        proc = store.start()  # for the consistency check below

    try:
        keys = {r[0] for r in await stack.sql("SELECT object_key FROM ingest.frames")}
        client_store = make_object_store(settings)
        objects = {
            o.object_name for o in client_store.list_objects("faults", prefix="frames/", recursive=True)
        }
        assert len(keys) == 6
        assert objects == keys  # no row without its object, no object without its row
    finally:
        proc.terminate()
        proc.wait(30)
