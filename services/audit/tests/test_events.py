"""POST /v1/events and GET /v1/events: intake by services only, a gap-free hash chain,
auditor queries scoped to their agency and themselves audited (R1, R4, R21)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import rfc8785
from audit_support import Ledger

from alpr_devstack.testing import Infra, bearer, problem


def _nested(depth: int) -> list[Any]:
    value: list[Any] = ["x"]
    for _ in range(depth):
        value = [value]
    return value


class TestPostEvents:
    async def test_anonymous_is_401(self, ledger: Ledger) -> None:
        resp = await ledger.client.post("/v1/events", json=ledger.event())
        assert resp.status_code == 401
        assert problem(resp)["type"] == "urn:alpr:problem:unauthenticated"

    async def test_people_cannot_write_the_ledger(self, ledger: Ledger, infra: Infra) -> None:
        for roles in (["auditor"], ["alpr_admin"], ["investigator"]):
            resp = await ledger.client.post(
                "/v1/events", json=ledger.event(), headers=bearer(infra.mint(roles=roles))
            )
            assert resp.status_code == 403, roles

    async def test_single_and_batch_chain_in_order(self, ledger: Ledger) -> None:
        one = await ledger.client.post("/v1/events", json=ledger.event(), headers=ledger.service)
        assert one.status_code == 201, one.text
        assert one.json()["sequence"] == 1
        batch = await ledger.client.post(
            "/v1/events",
            json={"events": [ledger.event(case_number=f"2026-00000{i}") for i in range(3)]},
            headers=ledger.service,
        )
        assert batch.status_code == 201
        receipts = batch.json()["items"]
        assert [r["sequence"] for r in receipts] == [2, 3, 4]
        assert len({r["hash"] for r in [one.json(), *receipts]}) == 4

    async def test_hash_is_sha256_of_previous_hash_and_canonical_event(self, ledger: Ledger) -> None:
        """The documented chain rule, recomputed here from what the API shows."""
        first = (await ledger.client.post("/v1/events", json=ledger.event(), headers=ledger.service)).json()
        listed = (await ledger.client.get("/v1/events", headers=ledger.auditor)).json()["items"]
        shown = next(e for e in listed if e["sequence"] == first["sequence"])
        document = {k: v for k, v in shown.items() if k != "hash"}
        document["submitted_by"] = {"sub": "svc-search", "client_id": "svc-search"}
        expected = hashlib.sha256(bytes(32) + rfc8785.dumps(document)).hexdigest()
        assert expected == first["hash"] == shown["hash"]

    async def test_the_same_event_id_is_one_row_and_answers_its_first_receipt(self, ledger: Ledger) -> None:
        """Issue 16: a retried append (same ``event_id``) appends nothing and answers 200 with
        the original sequence and hash; in a batch, only the new events are appended."""
        repeated = ledger.event(
            event_id=str(uuid.uuid4()), actor={**ledger.event()["actor"], "badge": "4711"}
        )
        first = await ledger.client.post("/v1/events", json=repeated, headers=ledger.service)
        assert first.status_code == 201, first.text
        again = await ledger.client.post("/v1/events", json=repeated, headers=ledger.service)
        assert again.status_code == 200, again.text
        assert (again.json()["sequence"], again.json()["hash"]) == (
            first.json()["sequence"],
            first.json()["hash"],
        )
        assert again.json()["duplicate"] is True
        fresh = ledger.event(event_id=str(uuid.uuid4()))
        batch = await ledger.client.post(
            "/v1/events", json={"events": [repeated, fresh, fresh]}, headers=ledger.service
        )
        assert batch.status_code == 201, batch.text
        items = batch.json()["items"]
        assert [i["duplicate"] for i in items] == [True, False, True]
        assert items[0]["sequence"] == first.json()["sequence"]
        assert items[1]["sequence"] == items[2]["sequence"] == first.json()["sequence"] + 1
        listed = (await ledger.client.get("/v1/events", headers=ledger.auditor)).json()["items"]
        ids = [e["event_id"] for e in listed if e["action"] == "search.executed"]
        assert sorted(ids) == sorted([repeated["event_id"], fresh["event_id"]])
        shown = next(e for e in listed if e["event_id"] == repeated["event_id"])
        assert shown["actor"]["badge"] == "4711"
        verified = await ledger.client.get("/v1/ledger/verify", headers=ledger.auditor)
        assert verified.json()["ok"] is True

    async def test_unknown_action_and_bad_fields_are_422(self, ledger: Ledger) -> None:
        bad: dict[str, Any]
        for bad in (
            ledger.event(action="ledger.deleted"),
            ledger.event(outcome="maybe"),
            ledger.event(purpose="curiosity"),
            ledger.event(actor={"name": "no sub"}),
            ledger.event(data={"blob": "x" * 20000}),
            ledger.event(data={"n": 2**60}),
            ledger.event(data={"deep": _nested(20)}),
            {"events": []},
        ):
            resp = await ledger.client.post("/v1/events", json=bad, headers=ledger.service)
            assert resp.status_code == 422, bad
            assert problem(resp)["type"] == "urn:alpr:problem:validation"


class TestGetEvents:
    async def test_filters_scope_and_pagination(self, ledger: Ledger, infra: Infra) -> None:
        other_actor = {"sub": "x-9", "name": "Other", "agency": "CA0010900", "roles": ["investigator"]}
        events = [
            ledger.event(),
            ledger.event(data={"plate": "8XYZ999"}, case_number="2026-000777"),
            ledger.event(action="detection.viewed"),
            ledger.event(
                outcome="refused", purpose="immigration_enforcement", outcome_reason="purpose-prohibited"
            ),
            ledger.event(actor=other_actor),  # another agency's event: never shown to this auditor
        ]
        await ledger.client.post("/v1/events", json={"events": events}, headers=ledger.service)

        async def seqs(**params: str) -> list[int]:
            resp = await ledger.client.get("/v1/events", params=params, headers=ledger.auditor)
            assert resp.status_code == 200, resp.text
            return [e["sequence"] for e in resp.json()["items"]]

        assert await seqs(action="search.executed") == [4, 2, 1]
        assert await seqs(plate="8xyz-999") == [2]
        assert await seqs(case_number="2026-000777") == [2]
        assert await seqs(outcome="refused") == [4]
        assert await seqs(purpose="immigration_enforcement") == [4]
        assert 5 not in await seqs()
        assert await seqs(actor="x-9") == []

        page1 = (
            await ledger.client.get(
                "/v1/events", params={"limit": 2, "action": "search.executed"}, headers=ledger.auditor
            )
        ).json()
        assert [e["sequence"] for e in page1["items"]] == [4, 2]
        page2 = (
            await ledger.client.get(
                "/v1/events",
                params={"limit": 2, "action": "search.executed", "cursor": page1["next_cursor"]},
                headers=ledger.auditor,
            )
        ).json()
        assert [e["sequence"] for e in page2["items"]] == [1]
        assert page2["next_cursor"] is None

    async def test_auditor_reads_are_audited(self, ledger: Ledger) -> None:
        await ledger.client.post("/v1/events", json=ledger.event(), headers=ledger.service)
        await ledger.client.get("/v1/events", params={"plate": "7ABC123"}, headers=ledger.auditor)
        queried = (
            await ledger.client.get("/v1/events", params={"action": "ledger.queried"}, headers=ledger.auditor)
        ).json()["items"]
        assert queried[-1]["actor"]["sub"] == "aud-1"
        assert queried[-1]["data"] == {"plate": "7ABC123"}

    async def test_auditor_who_is_also_admin_is_refused_R21(
        self, audit: httpx.AsyncClient, infra: Infra
    ) -> None:
        """R21: separation of duties."""
        both = bearer(infra.mint(roles=["auditor", "alpr_admin"]))
        for path in ("/v1/events", "/v1/ledger/verify", "/v1/checkpoints", "/v1/audits"):
            resp = await audit.get(path, headers=both)
            assert resp.status_code == 403, path
            assert problem(resp)["type"] == "urn:alpr:problem:forbidden"

    async def test_bad_cursor_is_400(self, ledger: Ledger) -> None:
        resp = await ledger.client.get("/v1/events", params={"cursor": "%%%"}, headers=ledger.auditor)
        assert resp.status_code == 400
        assert problem(resp)["type"] == "urn:alpr:problem:bad-request"
