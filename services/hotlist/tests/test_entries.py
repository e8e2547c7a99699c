"""Hotlists and local entries: designation (R9), required fields and approval (R12), every
step on the ledger."""

from __future__ import annotations

import base64
import json

from hotlist_support import HotlistStack, read


class TestHotlists:
    async def test_admin_designates_and_others_read(self, stack: HotlistStack) -> None:
        resp = await stack.client.post(
            "/v1/hotlists",
            json={"name": "NCIC stolen", "kind": "ncic_stolen_vehicle", "priority": 1, "alerting": True},
            headers=stack.admin,
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert body["kind"] == "ncic_stolen_vehicle"
        assert body["stale"] is False
        assert body["active_entries"] == 0
        listed = await stack.client.get("/v1/hotlists", headers=stack.as_("op-1", "operator"))
        assert [h["id"] for h in listed.json()["items"]] == [body["id"]]
        events = await stack.audit_events(action="hotlist.created")
        assert [e["targets"] for e in events] == [[body["id"]]]

    async def test_wrong_role_unknown_kind_and_duplicate_name(self, stack: HotlistStack) -> None:
        body = {"name": "BOLO", "kind": "local_bolo", "priority": 2}
        refused = await stack.client.post("/v1/hotlists", json=body, headers=stack.as_("sup-1", "supervisor"))
        assert refused.status_code == 403
        bad_kind = await stack.client.post(
            "/v1/hotlists", json={**body, "kind": "rumours"}, headers=stack.admin
        )
        assert bad_kind.status_code == 422
        assert (await stack.client.post("/v1/hotlists", json=body, headers=stack.admin)).status_code == 201
        assert (await stack.client.post("/v1/hotlists", json=body, headers=stack.admin)).status_code == 409

    async def test_a_foreign_cursor_is_400(self, stack: HotlistStack) -> None:
        """Issue 19: a well-formed cursor of another shape was a 500; unsigned, it is refused."""
        hotlist_id = await stack.hotlist()
        for position in ({"after": 5}, {"before": "x"}, {"after": "not-a-uuid"}):
            cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")
            for path in ("/v1/hotlists", f"/v1/hotlists/{hotlist_id}/entries"):
                resp = await stack.client.get(path, params={"cursor": cursor}, headers=stack.admin)
                assert resp.status_code == 400, (path, position, resp.text)

    async def test_another_agencys_list_is_unknown(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        other = stack.as_("op-9", "operator", agency="CA0010000")
        assert (await stack.client.get(f"/v1/hotlists/{hotlist_id}", headers=other)).status_code == 404
        entry = {"plate": "7ABC123", "state": "CA", "case_number": "2026-000001", "synopsis": "x"}
        resp = await stack.client.post(f"/v1/hotlists/{hotlist_id}/entries", json=entry, headers=other)
        assert resp.status_code == 404


class TestLocalEntries:
    async def test_entry_needs_case_number_and_synopsis(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        url = f"/v1/hotlists/{hotlist_id}/entries"
        op = stack.as_("op-1", "operator")
        base = {"plate": "7ABC123", "state": "CA", "case_number": "2026-000001", "synopsis": "armed robbery"}
        for missing in ("case_number", "synopsis"):
            body = {k: v for k, v in base.items() if k != missing}
            assert (await stack.client.post(url, json=body, headers=op)).status_code == 422
        bad_case = await stack.client.post(url, json={**base, "case_number": "abc"}, headers=op)
        assert bad_case.status_code == 422
        too_vague = await stack.client.post(url, json={**base, "plate": "7*"}, headers=op)
        assert too_vague.status_code == 422
        resp = await stack.client.post(url, json=base, headers=op)
        assert resp.status_code == 201
        entry = resp.json()
        assert entry["status"] == "pending"
        assert entry["entered_by"] == {"sub": "op-1", "name": "Op 1"}
        assert entry["case_number"] == "2026-000001"
        assert entry["synopsis"] == "armed robbery"

    async def test_pending_entries_do_not_match_until_an_admin_approves(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        entry_id = await stack.entry(hotlist_id, "7ABC123", approve=False)
        assert (await stack.match(read("7ABC123"))).status_code == 200
        assert await stack.alerts() == []
        url = f"/v1/hotlists/{hotlist_id}/entries/{entry_id}:approve"
        resp = await stack.client.post(url, json={"note": "checked the report"}, headers=stack.admin)
        assert resp.status_code == 200
        assert resp.json()["status"] == "active"
        assert resp.json()["approved_by"]["sub"] == "adm-1"
        await stack.match(read("7ABC123"))
        assert [a["entry_id"] for a in await stack.alerts()] == [entry_id]

    async def test_the_awaiting_list_holds_an_entry_until_it_is_approved(self, stack: HotlistStack) -> None:
        """An entry entered and not yet approved is listed by `awaiting_approval=true`, and is not
        once approved (an entry's missing pending change is SQL NULL, not JSON null)."""
        hotlist_id = await stack.hotlist()
        waiting = f"/v1/hotlists/{hotlist_id}/entries?awaiting_approval=true"
        entry_id = await stack.entry(hotlist_id, "6WAIT01", approve=False)
        listed = await stack.client.get(waiting, headers=stack.admin)
        assert [e["id"] for e in listed.json()["items"]] == [entry_id]
        url = f"/v1/hotlists/{hotlist_id}/entries/{entry_id}:approve"
        assert (await stack.client.post(url, json={}, headers=stack.admin)).status_code == 200
        assert (await stack.client.get(waiting, headers=stack.admin)).json()["items"] == []

    async def test_nobody_approves_their_own_entry_and_roles_are_checked(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        admin_as_enterer = stack.admin
        body = {"plate": "4XYZ999", "state": "CA", "case_number": "2026-000002", "synopsis": "missing person"}
        created = await stack.client.post(
            f"/v1/hotlists/{hotlist_id}/entries", json=body, headers=admin_as_enterer
        )
        url = f"/v1/hotlists/{hotlist_id}/entries/{created.json()['id']}:approve"
        own = await stack.client.post(url, json={}, headers=admin_as_enterer)
        assert own.status_code == 403
        assert "own" in own.json()["detail"]
        supervisor = await stack.client.post(url, json={}, headers=stack.as_("sup-1", "supervisor"))
        assert supervisor.status_code == 403  # a new entry is the administrator's to approve
        operator = await stack.client.post(url, json={}, headers=stack.as_("op-2", "operator"))
        assert operator.status_code == 403
        other_admin = await stack.client.post(url, json={}, headers=stack.as_("adm-2", "alpr_admin"))
        assert other_admin.status_code == 200
        again = await stack.client.post(url, json={}, headers=stack.as_("adm-2", "alpr_admin"))
        assert again.status_code == 409

    async def test_an_update_waits_for_a_supervisor_and_the_old_plate_matches_meanwhile(
        self, stack: HotlistStack
    ) -> None:
        hotlist_id = await stack.hotlist()
        entry_id = await stack.entry(hotlist_id, "7ABC123")
        url = f"/v1/hotlists/{hotlist_id}/entries/{entry_id}"
        changed = await stack.client.patch(
            url,
            json={"plate": "7ABC124", "synopsis": "plate corrected"},
            headers=stack.as_("inv-1", "investigator"),
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["plate"] == "7ABC123"
        assert changed.json()["pending_update"]["changes"]["plate"] == "7ABC124"
        await stack.match(read("7ABC124"))
        assert await stack.alerts() == []
        admin = await stack.client.post(url + ":approve", json={}, headers=stack.admin)
        assert admin.status_code == 403  # a change is a supervisor's to approve
        own = await stack.client.post(
            url + ":approve", json={}, headers=stack.as_("inv-1", "investigator", "supervisor")
        )
        assert own.status_code == 403
        ok = await stack.client.post(url + ":approve", json={}, headers=stack.as_("sup-1", "supervisor"))
        assert ok.status_code == 200
        assert ok.json()["plate"] == "7ABC124"
        assert ok.json()["pending_update"] is None
        await stack.match(read("7ABC124"))
        assert len(await stack.alerts()) == 1

    async def test_rejected_entries_never_match_and_every_step_is_audited(self, stack: HotlistStack) -> None:
        hotlist_id = await stack.hotlist()
        entry_id = await stack.entry(hotlist_id, "5LMN321", approve=False)
        url = f"/v1/hotlists/{hotlist_id}/entries/{entry_id}:reject"
        resp = await stack.client.post(url, json={"note": "no case on file"}, headers=stack.admin)
        assert resp.json()["status"] == "rejected"
        await stack.match(read("5LMN321"))
        assert await stack.alerts() == []
        created = await stack.audit_events(action="hotlist.entry.created")
        rejected = await stack.audit_events(action="hotlist.entry.rejected")
        assert created[0]["actor"]["sub"] == "op-1"
        assert created[0]["case_number"] == "2026-000123"
        assert created[0]["data"]["plate"] == "5LMN321"
        assert rejected[0]["actor"]["sub"] == "adm-1"
        assert rejected[0]["data"]["note"] == "no case on file"
