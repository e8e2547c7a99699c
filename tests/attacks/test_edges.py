"""Hostile input at every service's edge (issue 19, items 5, 6 and 8): control characters,
sizes, request ids, null fields, foreign cursors, integers past int64, a duplicate sent twice
at once, a database that is still starting. Each of these was a 500 (or silently accepted)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from PIL import Image

from alpr_audit.app import create_app as create_audit_app
from alpr_audit.checkpoints.signing import generate_key, private_key_b64
from alpr_common import ensure_bucket, make_object_store
from alpr_devstack.consumers import StubConsumer
from alpr_devstack.testing import Infra, bearer, problem, serve, serve_http
from alpr_ingest.app import create_app as create_ingest_app
from alpr_ingest.settings import Settings as IngestSettings


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (seed * 7 % 256, seed * 13 % 256, 90)).save(out, format="JPEG")
    return out.getvalue()


@dataclass
class Edge:
    ingest: httpx.AsyncClient
    audit: httpx.AsyncClient
    database_url: str
    admin: dict[str, str]
    auditor: dict[str, str]
    infra: Infra

    async def camera(self) -> tuple[str, dict[str, str]]:
        client_id = f"cam-{uuid.uuid4().hex[:8]}"
        body = {
            "name": client_id,
            "kind": "fixed",
            "client_id": client_id,
            "latitude": 37.3,
            "longitude": -121.9,
        }
        resp = await self.ingest.post("/v1/cameras", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text
        token = self.infra.mint(
            sub=client_id, name=client_id, roles=["camera"], training_expires=None, client_id=client_id
        )
        return resp.json()["id"], bearer(token)


@pytest.fixture
async def edge(infra: Infra) -> AsyncIterator[Edge]:
    db = infra.migrated_database("alpr_ingest", "alpr_audit", prefix="edge")
    client_id = f"svc-edge-{uuid.uuid4().hex[:6]}"
    secret = infra.register_client(client_id, roles=["service"])
    audit_settings = infra.settings("audit", database_url=db, signing_key=private_key_b64(generate_key()))
    search, hotlist = StubConsumer("search"), StubConsumer("hotlist")
    async with (
        serve_http(create_audit_app(audit_settings)) as audit_url,  # type: ignore[arg-type]
        serve_http(search.app(infra)) as search_url,
        serve_http(hotlist.app(infra)) as hotlist_url,
        httpx.AsyncClient(base_url=audit_url, timeout=30) as audit,
    ):
        bucket = f"edge-{uuid.uuid4().hex[:12]}"
        settings = infra.settings(
            "ingest",
            s3_bucket=bucket,
            database_url=db,
            audit_url=audit_url,
            search_url=search_url,
            hotlist_url=hotlist_url,
            client_id=client_id,
            client_secret=secret,
        )
        assert isinstance(settings, IngestSettings)
        ensure_bucket(make_object_store(settings), bucket)
        async with serve(create_ingest_app(settings)) as ingest:
            yield Edge(
                ingest=ingest,
                audit=audit,
                database_url=db,
                admin=bearer(infra.mint(sub="adm-1", name="Ada Admin", roles=["alpr_admin"])),
                auditor=bearer(infra.mint(sub="aud-1", name="Ann Auditor", roles=["auditor"])),
                infra=infra,
            )


def _loc(resp: httpx.Response) -> list[list[str | int]]:
    return [e["loc"] for e in problem(resp).get("errors", [])]


async def _cameras(edge: Edge) -> list[str]:
    resp = await edge.ingest.get("/v1/cameras", headers=edge.admin)
    assert resp.status_code == 200, resp.text
    return [c["name"] for c in resp.json()["items"]]


async def test_control_characters_in_json_text_are_422_and_change_nothing(edge: Edge) -> None:
    for name, loc in [
        ("cam\u0000nul", ["body", "name"]),
        ("cam\u001bescape", ["body", "name"]),
        ("cam\u0085c1", ["body", "name"]),
    ]:
        body = {"name": name, "kind": "mobile", "client_id": f"c-{uuid.uuid4().hex[:6]}"}
        resp = await edge.ingest.post("/v1/cameras", json=body, headers=edge.admin)
        assert resp.status_code == 422, resp.text
        assert _loc(resp) == [loc]
    # A nested key, and raw JSON text (not only what json.dumps writes).
    raw = b'{"name": "ok", "kind": "mobile", "client_id": "c-x\\u0000"}'
    resp = await edge.ingest.post(
        "/v1/cameras", content=raw, headers={**edge.admin, "content-type": "application/json"}
    )
    assert resp.status_code == 422, resp.text
    assert _loc(resp) == [["body", "client_id"]]
    assert await _cameras(edge) == []
    # Not control characters: an escaped backslash before "u0000", a tab, a line feed.
    for fine in ["back\\u0000slash", "tab\there", "line\nfeed"]:
        body = {"name": fine, "kind": "mobile", "client_id": f"c-{uuid.uuid4().hex[:6]}"}
        resp = await edge.ingest.post("/v1/cameras", json=body, headers=edge.admin)
        assert resp.status_code == 201, resp.text
    assert sorted(await _cameras(edge)) == sorted(["back\\u0000slash", "tab\there", "line\nfeed"])


async def test_control_characters_are_refused_after_the_token_and_role_checks(edge: Edge) -> None:
    body = {"name": "x\u0000", "kind": "mobile", "client_id": "c-1"}
    no_token = await edge.ingest.post("/v1/cameras", json=body)
    assert no_token.status_code == 401
    _, camera = await edge.camera()
    wrong_role = await edge.ingest.post("/v1/cameras", json=body, headers=camera)
    assert wrong_role.status_code == 403
    query = await edge.ingest.get("/v1/cameras", params={"cursor": "a\x00b"}, headers=edge.admin)
    assert query.status_code == 422
    assert _loc(query) == [["query", "cursor"]]


async def test_a_nul_byte_does_not_hide_a_prohibited_purpose(edge: Edge) -> None:
    """Issue 19, item 5: a NUL in the reason or case number made the ledger write fail, so a
    prohibited-purpose attempt left no record. Now it is refused at the edge (422) and the
    refusal is on the ledger with the purpose it stated."""
    investigator = bearer(edge.infra.mint(sub="inv-nul", name="Ivy Nul", roles=["investigator"]))
    params = {"purpose": "personal_use", "case_number": "2026-0001\x00"}
    resp = await edge.ingest.get(f"/v1/frames/{uuid.uuid4()}", params=params, headers=investigator)
    assert resp.status_code == 422
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        events = (
            await edge.audit.get("/v1/events", params={"action": "policy.refused"}, headers=edge.auditor)
        ).json()["items"]
        if events or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    [event] = events
    assert event["actor"]["sub"] == "inv-nul"
    assert event["purpose"] == "personal_use"
    assert event["outcome"] == "refused"
    assert event["outcome_reason"] == "control-characters"


async def test_control_characters_in_an_edge_read_form_are_422(edge: Edge) -> None:
    camera_id, camera = await edge.camera()
    form = {
        "camera_id": camera_id,
        "captured_at": datetime.now(UTC).isoformat(),
        "latitude": "37.3",
        "longitude": "-121.9",
        "confidence": "0.9",
    }
    for field, value in [("plate", "7ABC\x00123"), ("region", "CA\x00"), ("vehicle", '{"make": "x\\u0000"}')]:
        data = {"plate": "7ABC123", **form, field: value}
        resp = await edge.ingest.post(
            "/v1/reads", data=data, files={"crop": ("c.jpg", jpeg(1), "image/jpeg")}, headers=camera
        )
        assert resp.status_code == 422, (field, resp.text)
    assert await _count(edge, "SELECT count(*) FROM ingest.reads") == 0


async def test_body_and_header_limits_and_request_ids(edge: Edge) -> None:
    big = {"name": "x" * 2_000_000, "kind": "mobile", "client_id": "c-big"}
    resp = await edge.ingest.post("/v1/cameras", json=big, headers=edge.admin)
    assert resp.status_code == 413
    assert problem(resp)["title"] == "Payload too large"
    resp = await edge.ingest.get("/v1/cameras", headers={**edge.admin, "X-Padding": "p" * 64_000})
    assert resp.status_code == 431
    long_id = await edge.ingest.get("/v1/whoami", headers={**edge.admin, "X-Request-ID": "r" * 10_000})
    assert long_id.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", long_id.headers["x-request-id"])
    odd_id = await edge.ingest.get("/v1/whoami", headers={**edge.admin, "X-Request-ID": 'a b"<script>'})
    assert re.fullmatch(r"[0-9a-f]{32}", odd_id.headers["x-request-id"])
    fine = await edge.ingest.get("/v1/whoami", headers={**edge.admin, "X-Request-ID": "trace-42.a"})
    assert fine.headers["x-request-id"] == "trace-42.a"


async def test_camera_fields_cannot_be_nulled(edge: Edge) -> None:
    camera_id, _ = await edge.camera()
    for change in [{"status": None}, {"name": None}, {"latitude": None}]:
        resp = await edge.ingest.patch(f"/v1/cameras/{camera_id}", json=change, headers=edge.admin)
        assert resp.status_code == 422, (change, resp.text)
    resp = await edge.ingest.get(f"/v1/cameras/{camera_id}", headers=edge.admin)
    assert resp.json()["status"] == "active"
    assert resp.json()["latitude"] == 37.3


def _cursor(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


async def test_foreign_and_altered_cursors_are_400(edge: Edge) -> None:
    """Unsigned positions of any shape (issue 19: ``{"after": 5}`` was a 500), a genuine cursor
    altered, taken to another list, or used by another caller (issue 16): all 400."""
    await edge.camera()
    await edge.camera()
    for position in [{"after": 5}, {"after": "x"}, {"before": 5}, [1], {"after": str(uuid.uuid4())}]:
        for path in ["/v1/cameras", "/v1/frames"]:
            resp = await edge.ingest.get(path, params={"cursor": _cursor(position)}, headers=edge.admin)
            assert resp.status_code == 400, (position, resp.text)
            assert problem(resp)["type"] == "urn:alpr:problem:bad-request"
    for position in [{"before": 2**70}, {"before": "2026-13-01"}]:
        for path in ["/v1/events", "/v1/audits"]:
            resp = await edge.audit.get(path, params={"cursor": _cursor(position)}, headers=edge.auditor)
            assert resp.status_code == 400, (position, resp.text)
    first = await edge.ingest.get("/v1/cameras", params={"limit": 1}, headers=edge.admin)
    genuine = first.json()["next_cursor"]
    assert genuine
    second = await edge.ingest.get("/v1/cameras", params={"limit": 1, "cursor": genuine}, headers=edge.admin)
    assert second.status_code == 200
    assert second.json()["items"][0]["id"] != first.json()["items"][0]["id"]
    payload, _, tag = genuine.partition(".")
    forged = _cursor({"after": "00000000-0000-0000-0000-000000000000"})
    other_admin = bearer(edge.infra.mint(sub="adm-2", name="Other Admin", roles=["alpr_admin"]))
    for cursor, headers, path in [
        (f"{forged}.{tag}", edge.admin, "/v1/cameras"),  # altered position, old tag
        (payload, edge.admin, "/v1/cameras"),  # the tag dropped
        (genuine, other_admin, "/v1/cameras"),  # another caller
        (genuine, edge.admin, "/v1/frames"),  # another list
    ]:
        resp = await edge.ingest.get(path, params={"limit": 1, "cursor": cursor}, headers=headers)
        assert resp.status_code == 400, (cursor, path, resp.text)


async def test_integers_past_int64_are_422(edge: Edge) -> None:
    # Sequences are recorded in ledger data, whose integers stay within JSON's safe range.
    resp = await edge.audit.get("/v1/ledger/verify", params={"to": 2**53}, headers=edge.auditor)
    assert resp.status_code == 200, resp.text
    for value in [2**53 + 1, 2**63 - 1, 2**63, 2**70]:
        for name in ["from", "to"]:
            resp = await edge.audit.get("/v1/ledger/verify", params={name: value}, headers=edge.auditor)
            assert resp.status_code == 422, (name, value, resp.text)
    audit = await edge.audit.post(
        "/v1/audits", json={"size": 10}, headers={**edge.auditor, "X-Request-ID": "audit-1"}
    )
    assert audit.status_code == 201, audit.text
    resp = await edge.audit.post(
        f"/v1/audits/{audit.json()['id']}/findings",
        json={"sequence": 2**63, "finding": "compliant"},
        headers=edge.auditor,
    )
    assert resp.status_code == 422, resp.text
    assert _loc(resp) == [["body", "sequence"]]


async def test_the_same_edge_read_sent_twice_at_once_is_stored_once(edge: Edge) -> None:
    camera_id, camera = await edge.camera()
    at = datetime.now(UTC)

    async def send(i: int) -> httpx.Response:
        data = {
            "camera_id": camera_id,
            "captured_at": at.isoformat(),
            "latitude": "37.3",
            "longitude": "-121.9",
            "plate": f"7DUP{i:03d}",
            "confidence": "0.9",
        }
        return await edge.ingest.post(
            "/v1/reads", data=data, files={"crop": ("c.jpg", jpeg(i), "image/jpeg")}, headers=camera
        )

    pairs = await asyncio.gather(*(asyncio.gather(send(i), send(i)) for i in range(20)))
    for first, second in pairs:
        assert {first.status_code, second.status_code} <= {200, 202}, (first.text, second.text)
        assert first.json()["id"] == second.json()["id"]
    ids = {first.json()["id"] for first, _ in pairs}
    assert len(ids) == 20
    rows = await _rows(edge, "SELECT id::text FROM ingest.reads")
    assert sorted(rows) == sorted(ids)


async def _rows(edge: Edge, sql: str) -> list[str]:
    conn = await asyncpg.connect(edge.database_url)
    try:
        return [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _count(edge: Edge, sql: str) -> int:
    conn = await asyncpg.connect(edge.database_url)
    try:
        value = await conn.fetchval(sql)
        return int(value)
    finally:
        await conn.close()


async def _starting_postgres(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers like a PostgreSQL server that is still starting (SQLSTATE 57P03)."""
    try:
        (length,) = struct.unpack("!I", await reader.readexactly(4))
        body = await reader.readexactly(length - 4)
        if body[:4] == struct.pack("!I", 80877103):  # SSLRequest: no TLS here
            writer.write(b"N")
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            await reader.readexactly(length - 4)
        fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
        writer.write(b"E" + struct.pack("!I", len(fields) + 4) + fields)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def test_a_database_still_starting_is_503(infra: Infra) -> None:
    server = await asyncio.start_server(_starting_postgres, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        settings = infra.settings("ingest", database_url=f"postgresql://postgres@127.0.0.1:{port}/alpr")
        assert isinstance(settings, IngestSettings)
        async with serve(create_ingest_app(settings)) as ingest:
            admin = bearer(infra.mint(sub="adm-1", roles=["alpr_admin"]))
            resp = await ingest.get("/v1/cameras", headers=admin)
    assert resp.status_code == 503, resp.text
    assert problem(resp)["type"] == "urn:alpr:problem:unavailable"
    assert resp.headers["retry-after"]
