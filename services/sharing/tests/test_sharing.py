"""Inter-agency sharing (R24-R29): the partner's whole path, every refusal (recorded with its
reason), decisions, identical 404s for the ineligible (R27), release windows and MOU expiry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from sharing_support import DAY, HOST, SharingStack
from standardwebhooks import Webhook

from alpr_devstack.testing import serve_http
from alpr_sharing.notifications import DecisionWebhook

PARTNER_A, PARTNER_B = "CA0010900", "CA0011000"


async def approved(stack: SharingStack, token: dict[str, str], **extra: Any) -> str:
    filed = await stack.file(token, **extra)
    assert filed.status_code == 201, filed.text
    request_id = str(filed.json()["id"])
    decided = await stack.client.post(
        f"/v1/requests/{request_id}/decision",
        json={"decision": "approve", "note": "ok"},
        headers=stack.commander,
    )
    assert decided.status_code == 200, decided.text
    return request_id


class TestPartnerPath:
    async def test_request_approval_and_exactly_the_approved_scope(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        mou_id = await stack.mou(PARTNER_A)
        now = datetime.now(UTC)
        inside = await stack.detections(("7ABC123", now - 2 * DAY), ("7ABC123", now - 5 * DAY))
        await stack.detections(("7ABC123", now - 20 * DAY), ("8XYZ999", now - DAY))
        partner = stack.partner("partner-a", PARTNER_A)
        filed = await stack.file(partner)
        assert filed.status_code == 201, filed.text
        request = filed.json()
        assert request["status"] == "pending"
        assert request["mou_id"] == mou_id
        assert request["host_agency"] == HOST  # the only host it has an MOU with
        early = await stack.client.get(f"/v1/requests/{request['id']}/results", headers=partner)
        assert early.status_code == 404  # not yet approved
        decided = await stack.client.post(
            f"/v1/requests/{request['id']}/decision",
            json={"decision": "approve", "note": "case verified"},
            headers=stack.commander,
        )
        assert decided.json()["decided_by"]["sub"] == "cmd-1"
        assert decided.json()["release_until"]
        got = await stack.client.get(f"/v1/requests/{request['id']}/results", headers=partner)
        assert got.status_code == 200, got.text
        assert sorted(d["id"] for d in got.json()["items"]) == sorted(inside)
        [released] = await stack.audit_events(action="sharing.released")
        assert released["data"]["agency"] == PARTNER_A
        assert released["data"]["count"] == 2
        assert released["actor"]["client_id"] == "partner-a"
        [searched] = await stack.audit_events(action="search.executed")
        assert request["id"] in str(searched)
        assert [e["data"]["decision"] for e in await stack.audit_events(action="sharing.decided")] == [
            "approve"
        ]

    async def test_results_are_capped_at_the_mous_maximum(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        await stack.mou(PARTNER_A, max_results=1)
        now = datetime.now(UTC)
        await stack.detections(("7ABC123", now - DAY), ("7ABC123", now - 2 * DAY))
        partner = stack.partner("partner-a", PARTNER_A)
        request_id = await approved(stack, partner)
        got = await stack.client.get(f"/v1/requests/{request_id}/results", headers=partner)
        assert len(got.json()["items"]) == 1
        assert got.json()["next_cursor"] is None


class TestRefusals:
    async def refused(self, stack: SharingStack, token: dict[str, str], reason: str, **extra: Any) -> None:
        resp = await stack.file(token, **extra)
        assert resp.status_code == 403, resp.text
        problem = resp.json()
        assert problem["type"] == "urn:alpr:problem:request-refused"
        assert problem["reason"] == reason
        on_file = await stack.client.get(
            f"/v1/requests/{problem['sharing_request_id']}", headers=stack.commander
        )
        assert on_file.json()["status"] == "refused"
        assert on_file.json()["refusal_reason"] == reason

    async def test_every_refusal_is_kept_on_file_and_audited(self, stack: SharingStack) -> None:
        cases: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
            ("CA0020000", {"kind": "other"}, "not_law_enforcement", {}),
            ("CA0030000", {"federal": True}, "federal_agency", {}),
            ("NV0040000", {"state": "NV"}, "out_of_state", {}),
            ("CA0050000", {}, "prohibited_purpose", {"purpose": "immigration_enforcement"}),
            ("CA0060000", {}, "scope_beyond_mou", {"purpose": "missing_person"}),
        ]
        for ori, agency, reason, request in cases:
            await stack.agency(ori, f"client-{ori}", **agency)
            await stack.mou(ori)
            await self.refused(
                stack, stack.partner(f"client-{ori}", ori), reason, target_agency=HOST, **request
            )
        await stack.agency("CA0070000", "client-draft")
        await stack.mou("CA0070000", activate=False)  # a draft allows nothing
        await self.refused(stack, stack.partner("client-draft", "CA0070000"), "no_mou", target_agency=HOST)
        now = datetime.now(UTC)
        too_long = {"plate": "7ABC123", "from": (now - 400 * DAY).isoformat(), "to": now.isoformat()}
        await self.refused(
            stack, stack.partner("client-CA0060000", "CA0060000"), "scope_beyond_mou", scope=too_long
        )
        refused = await stack.audit_events(action="sharing.requested", outcome="refused")
        reasons = ["not_law_enforcement", "federal_agency", "out_of_state", "prohibited_purpose"]
        reasons += ["scope_beyond_mou", "no_mou", "scope_beyond_mou"]
        assert sorted(e["outcome_reason"] for e in refused) == sorted(reasons)

    async def test_r26_answer_points_to_the_records_process(self, stack: SharingStack) -> None:
        await stack.agency("CA0020000", "client-dmv", kind="other")
        await stack.mou("CA0020000")
        resp = await stack.file(stack.partner("client-dmv", "CA0020000"))
        assert "public records" in resp.json()["detail"]

    async def test_unregistered_clients_and_wrong_roles(self, stack: SharingStack) -> None:
        stranger = await stack.file(stack.partner("nobody", "CA0099999"))
        assert stranger.status_code == 403
        investigator = await stack.file(stack.as_("inv-1", "investigator"))
        assert investigator.status_code == 403


class TestDecisions:
    async def test_the_requester_never_approves_and_supervisors_only_exigent(
        self, stack: SharingStack
    ) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        await stack.mou(PARTNER_A)
        records = stack.as_("rec-1", "records", "commander")
        filed = await stack.file(records, agency_ori=PARTNER_A)
        assert filed.status_code == 201, filed.text
        url = f"/v1/requests/{filed.json()['id']}/decision"
        own = await stack.client.post(url, json={"decision": "approve"}, headers=records)
        assert own.status_code == 403
        supervisor = stack.as_("sup-1", "supervisor")
        assert (
            await stack.client.post(url, json={"decision": "approve"}, headers=supervisor)
        ).status_code == 403
        assert (
            await stack.client.post(url, json={"decision": "deny"}, headers=stack.commander)
        ).status_code == 200
        again = await stack.client.post(url, json={"decision": "approve"}, headers=stack.commander)
        assert again.status_code == 409
        await stack.adopt({"sharing": {"exigent_accepted": True}})  # R25: the host takes them (issue 17)
        exigent = await stack.file(
            stack.partner("partner-a", PARTNER_A), exigent=True, justification="child abduction in progress"
        )
        assert exigent.status_code == 201, exigent.text
        url = f"/v1/requests/{exigent.json()['id']}/decision"
        ok = await stack.client.post(url, json={"decision": "approve", "note": "exigent"}, headers=supervisor)
        assert ok.status_code == 200
        assert ok.json()["decided_by"]["sub"] == "sup-1"

    async def test_an_exigent_request_needs_a_justification(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        resp = await stack.file(stack.partner("partner-a", PARTNER_A), exigent=True)
        assert resp.status_code == 422


class TestNoConfirmation:
    async def test_other_partners_and_unusable_requests_get_the_same_404(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        await stack.agency(PARTNER_B, "partner-b")
        await stack.mou(PARTNER_A)
        await stack.mou(PARTNER_B)
        a, b = stack.partner("partner-a", PARTNER_A), stack.partner("partner-b", PARTNER_B)
        mine = await approved(stack, a)
        pending = (await stack.file(a)).json()["id"]
        denied = (await stack.file(a)).json()["id"]
        await stack.client.post(
            f"/v1/requests/{denied}/decision", json={"decision": "deny"}, headers=stack.commander
        )
        answers = [
            await stack.client.get(f"/v1/requests/{mine}/results", headers=b),
            await stack.client.get(f"/v1/requests/{uuid.uuid4()}/results", headers=b),
            await stack.client.get(f"/v1/requests/{pending}/results", headers=a),
            await stack.client.get(f"/v1/requests/{denied}/results", headers=a),
            await stack.client.get(f"/v1/requests/{mine}", headers=b),
        ]
        bodies = [{k: v for k, v in r.json().items() if k != "request_id"} for r in answers]
        assert {r.status_code for r in answers} == {404}
        assert all(body == bodies[0] for body in bodies)

    async def test_a_window_past_or_an_mou_ended_stops_the_release(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        mou_id = await stack.mou(PARTNER_A)
        partner = stack.partner("partner-a", PARTNER_A)
        request_id = await approved(stack, partner)
        url = f"/v1/requests/{request_id}/results"
        assert (await stack.client.get(url, headers=partner)).status_code == 200
        await stack.sql(
            "UPDATE sharing.mous SET expires_at = :t WHERE id = CAST(:id AS uuid)",
            t=datetime.now(UTC) - timedelta(minutes=1),
            id=mou_id,
        )
        assert (await stack.client.get(url, headers=partner)).status_code == 404
        await stack.sql("UPDATE sharing.mous SET expires_at = :t", t=datetime.now(UTC) + 30 * DAY)
        assert (await stack.client.get(url, headers=partner)).status_code == 200
        await stack.sql(
            "UPDATE sharing.requests SET decided_at = :t", t=datetime.now(UTC) - timedelta(hours=73)
        )
        assert (await stack.client.get(url, headers=partner)).status_code == 404

    async def test_a_suspended_mou_stops_the_release(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        mou_id = await stack.mou(PARTNER_A)
        partner = stack.partner("partner-a", PARTNER_A)
        request_id = await approved(stack, partner)
        await stack.client.post(f"/v1/mous/{mou_id}:suspend", json={"note": "audit"}, headers=stack.admin)
        assert (
            await stack.client.get(f"/v1/requests/{request_id}/results", headers=partner)
        ).status_code == 404


class TestSharedHotlist:
    async def test_only_partners_whose_mou_shares_hotlists_get_shareable_entries(
        self, stack: SharingStack
    ) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        await stack.agency(PARTNER_B, "partner-b")
        await stack.mou(PARTNER_A, share_hotlists=True)
        await stack.mou(PARTNER_B)
        created = await stack.hotlist.post(
            "/v1/hotlists", json={"name": "BOLO", "kind": "local_bolo", "priority": 1}, headers=stack.admin
        )
        hotlist_id = created.json()["id"]
        for plate, shareable in (("1SHARE1", True), ("2KEEP22", False)):
            entry = await stack.hotlist.post(
                f"/v1/hotlists/{hotlist_id}/entries",
                json={"plate": plate, "state": "CA", "case_number": "2026-000001", "synopsis": "stolen",
                      "shareable": shareable},
                headers=stack.as_("op-1", "operator"),
            )  # fmt: skip
            await stack.hotlist.post(
                f"/v1/hotlists/{hotlist_id}/entries/{entry.json()['id']}:approve",
                json={},
                headers=stack.admin,
            )
        feed = await stack.client.get("/v1/shared-hotlist", headers=stack.partner("partner-a", PARTNER_A))
        assert feed.status_code == 200, feed.text
        assert [(i["plate"], i["kind"]) for i in feed.json()["items"]] == [("1SHARE1", "local_bolo")]
        assert feed.json()["items"][0]["refreshed_at"]
        other = await stack.client.get("/v1/shared-hotlist", headers=stack.partner("partner-b", PARTNER_B))
        assert other.status_code == 404

    async def test_stats_count_partners_in_force(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        await stack.mou(PARTNER_A)
        stats = await stack.client.get(
            "/v1/stats", params={"agency": HOST}, headers=stack.as_("aud-1", "auditor")
        )
        assert stats.json()["sharing_partners"] == 1


received: list[dict[str, Any]] = []


def receiver_app(failures: int) -> FastAPI:
    app = FastAPI()

    @app.post("/decisions")
    async def hook(request: Request) -> Response:
        received.append({"headers": dict(request.headers), "body": (await request.body()).decode()})
        return Response(status_code=503 if len(received) <= failures else 204)

    return app


class TestNotifications:
    async def test_the_partner_gets_a_signed_decision_and_a_failing_receiver_is_retried(
        self, stack: SharingStack
    ) -> None:
        received.clear()
        async with serve_http(receiver_app(failures=1)) as url:
            created = await stack.client.post(
                "/v1/agencies",
                json={"ori": PARTNER_A, "name": "A", "state": "CA", "kind": "law_enforcement",
                      "client_ids": ["partner-a"], "webhook_url": f"{url}/decisions"},
                headers=stack.admin,
            )  # fmt: skip
            secret = created.json()["webhook_secret"]
            assert secret.startswith("whsec_")
            listed = await stack.client.get(f"/v1/agencies/{PARTNER_A}", headers=stack.admin)
            assert listed.json()["webhook_secret"] is None  # shown once
            await stack.mou(PARTNER_A)
            request_id = await approved(stack, stack.partner("partner-a", PARTNER_A))
            deadline = asyncio.get_running_loop().time() + 10
            while len(received) < 2 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
        assert len(received) == 2
        assert received[0]["headers"]["webhook-id"] == received[1]["headers"]["webhook-id"]
        message = Webhook(secret).verify(received[1]["body"], received[1]["headers"])
        assert message["type"] == "sharing.decided"
        assert message["data"]["request_id"] == request_id
        assert message["data"]["decision"] == "approve"
        # The body the document's `webhooks` section declares (issue 18).
        notice = DecisionWebhook.model_validate_json(received[1]["body"]).data
        assert (str(notice.request_id), notice.status) == (request_id, "approved")
        assert notice.release_until is not None
        log = await stack.client.get(f"/v1/agencies/{PARTNER_A}/notifications", headers=stack.admin)
        [sent] = log.json()
        assert sent["status"] == "delivered"
        assert sent["attempts"] == 2


class TestInboundFeed:
    async def test_our_hotlist_syncs_a_partners_shared_feed_with_its_own_client(
        self, stack: SharingStack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The inbound side (R11): a partner's `GET /v1/shared-hotlist` as a hotlist source,
        fetched with our client at the partner's issuer (here the partner is this same stack)."""
        secret = stack.infra.register_client("feed-reader", roles=["partner"], agency=PARTNER_A)
        monkeypatch.setenv("PARTNER_A_FEED_SECRET", secret)
        await stack.agency(PARTNER_A, "feed-reader")
        await stack.mou(PARTNER_A, share_hotlists=True)
        created = await stack.hotlist.post(
            "/v1/hotlists", json={"name": "BOLO", "kind": "local_bolo", "priority": 1}, headers=stack.admin
        )
        entry = await stack.hotlist.post(
            f"/v1/hotlists/{created.json()['id']}/entries",
            json={
                "plate": "9FEED99",
                "state": "CA",
                "case_number": "2026-000002",
                "synopsis": "x",
                "shareable": True,
            },
            headers=stack.as_("op-1", "operator"),
        )
        await stack.hotlist.post(
            f"/v1/hotlists/{created.json()['id']}/entries/{entry.json()['id']}:approve",
            json={},
            headers=stack.admin,
        )
        inbound = await stack.hotlist.post(
            "/v1/hotlists", json={"name": "Partner A feed", "kind": "partner_shared", "priority": 2},
            headers=stack.admin,
        )  # fmt: skip
        source = await stack.hotlist.post(
            "/v1/sources",
            json={
                "hotlist_id": inbound.json()["id"],
                "url": f"{str(stack.client.base_url).rstrip('/')}/v1/shared-hotlist",
                "format": "partner_json",
                "token_url": f"{stack.infra.issuer_url}/token",
                "client_id": "feed-reader",
                "client_secret_env": "PARTNER_A_FEED_SECRET",
            },
            headers=stack.admin,
        )
        assert source.status_code == 201, source.text
        synced = await stack.hotlist.post(f"/v1/sources/{source.json()['id']}:sync", headers=stack.admin)
        assert synced.json()["status"] == "ok", synced.text
        assert synced.json()["loaded"] == 1


class TestAgencies:
    async def test_a_partner_record_is_changed_only_by_the_host_that_registered_it(
        self, stack: SharingStack
    ) -> None:
        await stack.agency(PARTNER_A, "partner-a")
        other_host = stack.as_("adm-9", "alpr_admin", agency="CA0030000")
        hijack = await stack.client.patch(
            f"/v1/agencies/{PARTNER_A}", json={"client_ids": ["mine-now"]}, headers=other_host
        )
        assert hijack.status_code == 404
        again = await stack.client.post(
            "/v1/agencies",
            json={"ori": PARTNER_A, "name": "A", "state": "CA", "kind": "law_enforcement"},
            headers=other_host,
        )
        assert again.status_code == 409
        ours = await stack.client.patch(
            f"/v1/agencies/{PARTNER_A}", json={"name": "Agency A PD"}, headers=stack.admin
        )
        assert ours.status_code == 200
        assert ours.json()["name"] == "Agency A PD"
        taken = await stack.client.post(
            "/v1/agencies",
            json={
                "ori": "CA0040000",
                "name": "B",
                "state": "CA",
                "kind": "law_enforcement",
                "client_ids": ["partner-a"],
            },
            headers=stack.admin,
        )
        assert taken.status_code == 409  # one client id, one agency
        operator = await stack.client.get("/v1/agencies", headers=stack.as_("op-1", "operator"))
        assert operator.status_code == 403
