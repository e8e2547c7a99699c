"""Attacks of issue 19 on what the server fetches and on sharing's reads, kept closed:

1. a hotlist source names a secret only from the operator's list (HOTLIST_SOURCE_SECRET_ENVS),
   at the API and again at sync time;
2. hotlist sources, token endpoints, hotlist webhooks and partners' webhooks obey the
   outbound-URL policy (every spelling of an internal address refused, at the API and when
   sending), and a failed sync does not tell the target's answers apart;
3. a host agency reads only its own partners and its own decision notifications (R27);
7. a source URL with ``user:password@`` is refused, never stored, shown or audited.

The real hotlist, sharing and audit services over one migrated database; receivers are small
apps on loopback ports, which only an operator's allow-list lets the services reach."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from alpr_audit.app import create_app as create_audit_app
from alpr_audit.checkpoints.signing import generate_key, private_key_b64
from alpr_common import ensure_bucket, make_object_store
from alpr_devstack.components import free_port
from alpr_devstack.testing import Infra, bearer, create_app, problem, serve, serve_http

HOST, OTHER_HOST, THIRD_HOST = "CA0019400", "CA0030000", "CA0050000"
PARTNER = "CA0010900"
LOOPBACK = {"outbound_allow_http": True, "outbound_allow_networks": "127.0.0.0/8,::1"}
FEED = "ALPR_TEST_PARTNER_FEED_SECRET"

INTERNAL_URLS = [
    "http://2130706433:8105/feed.csv",
    "https://2130706433:8105/feed.csv",
    "https://0x7f.1/feed.csv",
    "https://localhost:8333/alpr",
    "https://[::ffff:127.0.0.1]:5433/",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://10.0.0.5/feed.csv",
    "https://100.64.0.1/feed.csv",
    "http://feeds.example.org/feed.csv",  # plain http: not allowed by default
]


@dataclass
class Parts:
    infra: Infra
    database_url: str
    audit_url: str
    bucket: str
    secrets: dict[str, str]

    def app(self, service: str, **overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """The service in this process over the shared database, with its own client identity."""
        settings = self.infra.settings(
            service,
            database_url=self.database_url,
            audit_url=self.audit_url,
            s3_bucket=self.bucket,
            client_id=f"svc-{service}-attack",
            client_secret=self.secrets[service],
            **({"scheduler": False} if service == "hotlist" else {}),
            **overrides,
        )
        return serve(create_app(service, settings))

    def token(self, sub: str, *roles: str, agency: str = HOST) -> dict[str, str]:
        return bearer(self.infra.mint(sub=sub, name=sub, agency=agency, roles=list(roles)))

    async def ledger(self, action: str) -> list[dict[str, Any]]:
        auditor = bearer(self.infra.mint(sub="aud-attack", roles=["auditor"]))
        async with httpx.AsyncClient(base_url=self.audit_url, timeout=30) as http:
            resp = await http.get("/v1/events", params={"action": action, "limit": 500}, headers=auditor)
            assert resp.status_code == 200, resp.text
            items: list[dict[str, Any]] = resp.json()["items"]
            return items


@pytest.fixture(scope="module")
async def parts(infra: Infra) -> AsyncIterator[Parts]:
    db = infra.migrated_database("alpr_hotlist", "alpr_sharing", "alpr_audit", prefix="attack")
    secrets = {s: infra.register_client(f"svc-{s}-attack", roles=["service"]) for s in ("hotlist", "sharing")}
    audit = infra.settings("audit", database_url=db, signing_key=private_key_b64(generate_key()))
    bucket = f"attack-{uuid.uuid4().hex[:12]}"
    ensure_bucket(make_object_store(infra.settings("hotlist", s3_bucket=bucket)), bucket)
    async with serve_http(create_audit_app(audit)) as audit_url:  # type: ignore[arg-type]
        yield Parts(infra, db, audit_url, bucket, secrets)


@dataclass
class Received:
    path: str
    authorization: str | None
    body: str


received: list[Received] = []


def receiver_app() -> FastAPI:
    """A listener standing for an internal port: answers by path, remembers what it was sent."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def anything(request: Request, path: str) -> Response:
        body = (await request.body()).decode()
        received.append(Received(path, request.headers.get("authorization"), body))
        if path.isdigit():
            return Response(status_code=int(path), content=f"internal answer {path}")
        if path == "token":
            return Response('{"access_token": "t", "token_type": "Bearer"}', media_type="application/json")
        return Response("plate,state,plate_type,reason,expires\n7ABC123,CA,,,\n", media_type="text/csv")

    return app


@asynccontextmanager
async def receiver() -> AsyncIterator[str]:
    received.clear()
    async with serve_http(receiver_app()) as url:
        yield url


def field_error(resp: httpx.Response, field: str) -> str:
    """The 422 problem's message for ``field`` (it names the field)."""
    assert resp.status_code == 422, resp.text
    body = problem(resp)
    assert body["type"] == "urn:alpr:problem:validation"
    [error] = [e for e in body["errors"] if e["loc"][-1] == field]
    return str(error["msg"])


async def new_hotlist(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    name = f"attack-{uuid.uuid4().hex[:8]}"
    resp = await client.post(
        "/v1/hotlists", json={"name": name, "kind": "partner_shared", "priority": 1}, headers=admin
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def credentialed_source(hotlist_id: str, base: str, secret_env: str) -> dict[str, str]:
    """A source's body: a CSV feed at ``base``, fetched with a token from ``base`` for the client
    ``us``, whose secret is in the variable ``secret_env``."""
    return {
        "hotlist_id": hotlist_id,
        "url": f"{base}/feed",
        "format": "csv",
        "token_url": f"{base}/token",
        "client_id": "us",
        "client_secret_env": secret_env,
    }


async def sync(client: httpx.AsyncClient, admin: dict[str, str], source_id: str) -> dict[str, Any]:
    resp = await client.post(f"/v1/sources/{source_id}:sync", headers=admin)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


class TestSecretReferences:
    """Item 1: an alpr_admin sent S3_SECRET_KEY to a listener through a source's token_url."""

    async def test_only_a_variable_the_operator_lists_can_be_named(self, parts: Parts) -> None:
        admin = parts.token("adm-secrets", "alpr_admin")
        async with receiver() as url, parts.app("hotlist", **LOOPBACK) as client:
            hotlist_id = await new_hotlist(client, admin)
            for name in ("S3_SECRET_KEY", "HOTLIST_CLIENT_SECRET", FEED):  # the list is empty by default
                resp = await client.post(
                    "/v1/sources", json=credentialed_source(hotlist_id, url, name), headers=admin
                )
                assert "HOTLIST_SOURCE_SECRET_ENVS" in field_error(resp, "client_secret_env")
            listed = (await client.get("/v1/sources", headers=admin)).json()
            assert not [s for s in listed if s["hotlist_id"] == hotlist_id]
        assert received == []

        async with parts.app("hotlist", source_secret_envs=FEED, **LOOPBACK) as client:
            made = await client.post(
                "/v1/sources",
                json={"hotlist_id": hotlist_id, "url": "https://feeds.invalid/feed", "format": "csv",
                      "token_url": "https://issuer.invalid/token", "client_id": "us",
                      "client_secret_env": FEED},
                headers=admin,
            )  # fmt: skip
            assert made.status_code == 201, made.text
            changed = await client.patch(
                f"/v1/sources/{made.json()['id']}", json={"client_secret_env": "S3_SECRET_KEY"}, headers=admin
            )
            field_error(changed, "client_secret_env")
            shown = await client.get(f"/v1/sources/{made.json()['id']}", headers=admin)
            assert shown.json()["client_secret_env"] == FEED

    async def test_a_list_shrunk_later_holds_at_sync_time(
        self, parts: Parts, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(FEED, "the-partners-secret")
        admin = parts.token("adm-shrunk", "alpr_admin")
        async with receiver() as url:
            async with parts.app("hotlist", source_secret_envs=FEED, **LOOPBACK) as client:
                hotlist_id = await new_hotlist(client, admin)
                made = await client.post(
                    "/v1/sources", json=credentialed_source(hotlist_id, url, FEED), headers=admin
                )
                assert made.status_code == 201, made.text
            async with parts.app("hotlist", **LOOPBACK) as client:  # the operator emptied the list
                result = await sync(client, admin, made.json()["id"])
        assert result["status"] == "failed"
        assert "client_secret_env" in result["error"]
        assert received == []  # the secret never left


class TestOutboundPolicy:
    """Item 2 (SSRF) and item 7 (credentials in URLs)."""

    async def test_internal_addresses_are_refused_in_every_spelling(self, parts: Parts) -> None:
        admin = parts.token("adm-ssrf", "alpr_admin", agency="CA0060000")
        async with parts.app("hotlist") as client:
            hotlist_id = await new_hotlist(client, admin)
            for url in INTERNAL_URLS:
                resp = await client.post(
                    "/v1/sources", json={"hotlist_id": hotlist_id, "url": url}, headers=admin
                )
                assert "outbound URL policy" in field_error(resp, "url"), url
                resp = await client.post(
                    "/v1/sources",
                    json={"hotlist_id": hotlist_id, "url": "https://feeds.invalid/x", "token_url": url,
                          "client_id": "us", "client_secret_env": FEED},
                    headers=admin,
                )  # fmt: skip
                field_error(resp, "token_url")
                resp = await client.post("/v1/webhooks", json={"url": url}, headers=admin)
                field_error(resp, "url")
            assert (await client.get("/v1/webhooks", headers=admin)).json() == []  # this agency's
        async with parts.app("sharing") as client:
            for url in INTERNAL_URLS:
                resp = await client.post(
                    "/v1/agencies",
                    json={"ori": "CA0077700", "name": "Probe", "state": "CA", "kind": "law_enforcement",
                          "webhook_url": url},
                    headers=admin,
                )  # fmt: skip
                field_error(resp, "webhook_url")
            made = await client.post(
                "/v1/agencies",
                json={"ori": "CA0077700", "name": "Probe", "state": "CA", "kind": "law_enforcement"},
                headers=admin,
            )
            assert made.status_code == 201, made.text
            changed = await client.patch(
                "/v1/agencies/CA0077700", json={"webhook_url": "http://169.254.169.254/"}, headers=admin
            )
            field_error(changed, "webhook_url")

    async def test_a_tightened_policy_holds_when_sending(self, parts: Parts) -> None:
        """A URL accepted under an allow-list is refused at send time once the list is gone."""
        admin = parts.token("adm-tight", "alpr_admin")
        async with receiver() as url:
            async with parts.app("hotlist", **LOOPBACK) as client:
                hotlist_id = await new_hotlist(client, admin)
                made = await client.post(
                    "/v1/sources", json={"hotlist_id": hotlist_id, "url": f"{url}/feed"}, headers=admin
                )
                assert made.status_code == 201, made.text
                assert (await sync(client, admin, made.json()["id"]))["status"] == "ok"
            assert [r.path for r in received] == ["feed"]
            async with parts.app("hotlist") as client:
                result = await sync(client, admin, made.json()["id"])
        assert result["status"] == "failed"
        assert result["error"].startswith("blocked by the outbound URL policy")
        assert [r.path for r in received] == ["feed"]  # nothing more reached the listener

    async def test_a_failed_sync_does_not_tell_internal_answers_apart(self, parts: Parts) -> None:
        """Audit's 401, the object store's 403, a 500 and a closed port read the same in the sync
        log, on the source and on the ledger: the sync is no port scanner."""
        admin = parts.token("adm-scan", "alpr_admin")
        async with receiver() as url, parts.app("hotlist", **LOOPBACK) as client:
            hotlist_id = await new_hotlist(client, admin)
            targets = [f"{url}/401", f"{url}/403", f"{url}/500", f"http://127.0.0.1:{free_port()}/feed"]
            source_ids = []
            for target in targets:
                made = await client.post(
                    "/v1/sources", json={"hotlist_id": hotlist_id, "url": target}, headers=admin
                )
                assert made.status_code == 201, made.text
                source_ids.append(made.json()["id"])
            errors = {(await sync(client, admin, s))["error"] for s in source_ids}
            assert errors == {"the feed could not be fetched"}
            shown = {
                (await client.get(f"/v1/sources/{s}", headers=admin)).json()["last_error"] for s in source_ids
            }
            assert shown == errors
        deadline = time.monotonic() + 15
        audited: set[str] = set()
        events: list[dict[str, Any]] = []
        while len(audited) < len(source_ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            events = await parts.ledger("hotlist.synced")
            audited = {t for e in events for t in e["targets"] if t in source_ids and e["data"].get("error")}
        errors_on_ledger = {
            e["data"]["error"] for e in events if set(e["targets"]) & set(source_ids) and "error" in e["data"]
        }
        assert audited == set(source_ids)
        assert errors_on_ledger == errors

    async def test_credentials_in_a_source_url_are_refused_and_never_recorded(self, parts: Parts) -> None:
        """Item 7: ``user:password@`` is refused with 422: not stored, shown, or on the ledger."""
        admin = parts.token("adm-creds", "alpr_admin")
        secret = f"s3cret{uuid.uuid4().hex[:8]}"
        async with parts.app("hotlist") as client:
            hotlist_id = await new_hotlist(client, admin)
            partner_feed = {
                "url": "https://feeds.invalid/x.csv",
                "client_id": "us",
                "client_secret_env": FEED,
            }
            for field, body in (
                ("url", {"url": f"https://feed:{secret}@feeds.invalid/x.csv"}),
                ("url", {"url": f"https://{secret}@feeds.invalid/x.csv"}),
                ("url", {"url": f"file://feed:{secret}@/srv/feeds/x.csv"}),
                ("token_url", {**partner_feed, "token_url": f"https://us:{secret}@issuer.invalid/token"}),
            ):
                resp = await client.post(
                    "/v1/sources", json={"hotlist_id": hotlist_id, **body}, headers=admin
                )
                assert "credentials" in field_error(resp, field)
                assert secret not in resp.text
            made = await client.post(
                "/v1/sources",
                json={"hotlist_id": hotlist_id, "url": "https://feeds.invalid/x.csv"},
                headers=admin,
            )
            assert made.status_code == 201, made.text
            changed = await client.patch(
                f"/v1/sources/{made.json()['id']}",
                json={"url": f"https://feed:{secret}@feeds.invalid/x.csv"},
                headers=admin,
            )
            field_error(changed, "url")
            listed = await client.get("/v1/sources", headers=admin)
            assert secret not in listed.text
        events = await parts.ledger("hotlist.updated")
        assert events
        assert not [e for e in events if secret in str(e)]


# -- item 3: sharing's reads are the host agency's own ---------------------------------------


async def file_and_decide(client: httpx.AsyncClient, parts: Parts, partner: dict[str, str], host: str) -> str:
    now = datetime.now(UTC)
    scope = {"plate": "7ABC123", "from": (now - timedelta(days=3)).isoformat(), "to": now.isoformat()}
    filed = await client.post(
        "/v1/requests",
        json={"requester_name": "Det. Pat Partner", "purpose": "stolen_vehicle", "case_number": "P-2026-77",
              "target_agency": host, "scope": scope},
        headers=partner,
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    request_id = str(filed.json()["id"])
    decided = await client.post(
        f"/v1/requests/{request_id}/decision",
        json={"decision": "approve", "note": "ok"},
        headers=parts.token(f"cmd-{host}", "commander", agency=host),
    )
    assert decided.status_code == 200, decided.text
    return request_id


async def mou(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    now = datetime.now(UTC)
    made = await client.post(
        "/v1/mous",
        json={"agency_ori": PARTNER, "effective_from": (now - timedelta(days=1)).isoformat(),
              "expires_at": (now + timedelta(days=365)).isoformat(), "purposes": ["stolen_vehicle"],
              "max_results": 100, "terms": "Authorized users only."},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    active = await client.post(f"/v1/mous/{made.json()['id']}:activate", json={}, headers=admin)
    assert active.status_code == 200, active.text


def same_404(a: httpx.Response, b: httpx.Response) -> None:
    """R27: another host's record answers exactly as a missing one."""
    assert a.status_code == b.status_code == 404
    assert {**problem(a), "request_id": None} == {**problem(b), "request_id": None}


class TestSharingScopes:
    """Item 3: another host's admin read our partners (webhook URLs, client ids, contacts) and
    our decision notifications."""

    async def test_partners_and_notifications_are_the_host_agencys_own(self, parts: Parts) -> None:
        ours, theirs = (
            parts.token("adm-host", "alpr_admin"),
            parts.token("adm-o", "alpr_admin", agency=OTHER_HOST),
        )
        stranger = parts.token("adm-third", "alpr_admin", agency=THIRD_HOST)
        partner = bearer(
            parts.infra.mint(sub="partner-attack", name="p", agency=PARTNER, roles=["partner"],
                             training_expires=None, client_id="partner-attack")
        )  # fmt: skip
        async with receiver() as url, parts.app("sharing", **LOOPBACK) as client:
            made = await client.post(
                "/v1/agencies",
                json={"ori": PARTNER, "name": "Partner PD", "state": "CA", "kind": "law_enforcement",
                      "client_ids": ["partner-attack"], "webhook_url": f"{url}/decisions",
                      "contacts": [{"name": "Lt. Contact", "email": "lt@partner.example"}]},
                headers=ours,
            )  # fmt: skip
            assert made.status_code == 201, made.text
            await mou(client, ours)
            await mou(client, theirs)  # the other host shares with the same partner
            our_request = await file_and_decide(client, parts, partner, HOST)
            their_request = await file_and_decide(client, parts, partner, OTHER_HOST)
            deadline = time.monotonic() + 15
            while len(received) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert len(received) == 2

            assert [a["ori"] for a in (await client.get("/v1/agencies", headers=ours)).json()] == [PARTNER]
            for admin in (theirs, stranger):
                listed = await client.get("/v1/agencies", headers=admin)
                assert listed.status_code == 200
                assert PARTNER not in listed.text
                assert "lt@partner.example" not in listed.text
                same_404(
                    await client.get(f"/v1/agencies/{PARTNER}", headers=admin),
                    await client.get("/v1/agencies/CA0099999", headers=admin),
                )
            mine = await client.get(f"/v1/agencies/{PARTNER}/notifications", headers=ours)
            assert [n["request_id"] for n in mine.json()] == [our_request]
            other = await client.get(f"/v1/agencies/{PARTNER}/notifications", headers=theirs)
            assert [n["request_id"] for n in other.json()] == [their_request]
            same_404(
                await client.get(f"/v1/agencies/{PARTNER}/notifications", headers=stranger),
                await client.get("/v1/agencies/CA0099999/notifications", headers=stranger),
            )
