"""The agency policy record (issue 17): versions with who, when, why and from when; a change that
loosens a rule waits for a commander who is not its proposer, any other takes force at its
``effective_from``; every change on the ledger; each field validated (R33: retention between the
law's floor and the agency's ceiling; R7: prohibited purposes never allowed); another agency's
record is not found (R27); and the cached client every service reads it through."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from alpr_common import (
    AgencyPolicy,
    AgencyPolicyClient,
    AuditCadence,
    Auditor,
    ClientCredentials,
    PolicyStatus,
    SharingClient,
    TierCondition,
    TierRequirement,
    WarrantTier,
)
from alpr_devstack.testing import ActsAs, Infra, create_app, mou_draft, problem, serve_audit, serve_http
from alpr_sharing.policy.rules import loosenings
from alpr_sharing.policy.service import defaults
from alpr_sharing.settings import Settings

HOST, OTHER = "CA0019400", "CA0020500"
POLL_S = 20.0


@dataclass
class PolicyStack(ActsAs):
    """Audit and sharing, real, on loopback ports; tokens by subject."""

    infra: Infra
    client: httpx.AsyncClient
    audit_url: str
    tokens: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)

    def admin(self, agency: str = HOST) -> dict[str, str]:
        return self.as_(f"adm-{agency}", "alpr_admin", agency=agency)

    def commander(self, agency: str = HOST) -> dict[str, str]:
        return self.as_(f"cmd-{agency}", "commander", agency=agency)

    async def put(
        self, policy: dict[str, Any], *, agency: str = HOST, token: dict[str, str] | None = None, **extra: Any
    ) -> httpx.Response:
        body = {"policy": policy, "reason": "Council adopted the revision.", **extra}
        return await self.client.put(
            f"/v1/agencies/{agency}/policy", json=body, headers=token or self.admin(agency)
        )

    async def adopt(self, policy: dict[str, Any], agency: str = HOST) -> dict[str, Any]:
        """Puts a version and, when it loosens a rule, has the agency's commander approve it."""
        resp = await self.put(policy, agency=agency)
        assert resp.status_code == 200, resp.text
        made: dict[str, Any] = resp.json()
        if made["status"] == "pending_approval":
            path = f"/v1/agencies/{agency}/policy/versions/{made['version']}/approve"
            resp = await self.client.post(path, json={}, headers=self.commander(agency))
            assert resp.status_code == 200, resp.text
            made = resp.json()
        return made

    async def current(self, agency: str = HOST, **params: str) -> dict[str, Any]:
        resp = await self.client.get(
            f"/v1/agencies/{agency}/policy", params=params, headers=self.admin(agency)
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def events(self, action: str, agency: str = HOST, count: int = 1) -> list[dict[str, Any]]:
        """The ledger's events of ``action`` for ``agency``, polled until ``count`` are there
        (the service's outbox delivers them)."""
        auditor = self.as_(f"aud-{agency}", "auditor", agency=agency)
        deadline = time.monotonic() + POLL_S
        async with httpx.AsyncClient(base_url=self.audit_url, timeout=30) as http:
            while True:
                resp = await http.get("/v1/events", params={"action": action}, headers=auditor)
                assert resp.status_code == 200, resp.text
                items: list[dict[str, Any]] = resp.json()["items"]
                if len(items) >= count or time.monotonic() > deadline:
                    return items
                await asyncio.sleep(0.1)  # polling interval


@pytest.fixture
async def pstack(infra: Infra) -> AsyncIterator[PolicyStack]:
    db = infra.migrated_database("alpr_sharing", "alpr_audit", prefix="policy")
    secret = infra.register_client("svc-sharing-pol", roles=["service"])
    async with serve_audit(infra, db) as audit_url:
        settings = infra.settings(
            "sharing", database_url=db, audit_url=audit_url, client_id="svc-sharing-pol", client_secret=secret
        )
        async with (
            serve_http(create_app("sharing", settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield PolicyStack(infra=infra, client=client, audit_url=audit_url)


def _soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


class TestReading:
    async def test_anonymous_is_401(self, pstack: PolicyStack) -> None:
        for method, path in [
            ("GET", f"/v1/agencies/{HOST}/policy"),
            ("GET", f"/v1/agencies/{HOST}/policy/versions"),
            ("PUT", f"/v1/agencies/{HOST}/policy"),
            ("POST", f"/v1/agencies/{HOST}/policy/versions/1/approve"),
        ]:
            resp = await pstack.client.request(method, path, json={})
            assert resp.status_code == 401, (method, path)
            assert problem(resp)["type"] == "urn:alpr:problem:unauthenticated"

    async def test_an_agency_that_never_set_one_has_the_strictest_defaults(self, pstack: PolicyStack) -> None:
        """Issue 17: a missing policy is version 0, every rule at its strictest, with sharing's own
        settings as the jurisdiction defaults (R29: in state, never federal)."""
        body = await pstack.current()
        assert (body["version"], body["status"]) == (0, "default")
        assert body["policy"] == AgencyPolicy().model_dump(mode="json")
        assert body["policy"]["search"]["case_number_required"] is True
        assert body["policy"]["sharing"] == {
            **body["policy"]["sharing"],
            "host_state": "CA",
            "federal_allowed": False,
            "out_of_state_allowed": False,
        }
        listed = await pstack.client.get(f"/v1/agencies/{HOST}/policy/versions", headers=pstack.admin())
        assert listed.json() == {"items": [], "next_cursor": None}

    async def test_another_agencys_record_is_not_found_r27(self, pstack: PolicyStack) -> None:
        """R27: a person of another agency gets the 404 of a missing record, reading or changing;
        a service reads any agency's (to apply it)."""
        assert (await pstack.put({"search": {"max_search_days": 30}})).status_code == 200
        stranger = pstack.as_("adm-x", "alpr_admin", "commander", agency=OTHER)
        for method, path in [
            ("GET", f"/v1/agencies/{HOST}/policy"),
            ("GET", f"/v1/agencies/{HOST}/policy/versions"),
            ("GET", f"/v1/agencies/{HOST}/policy/versions/1"),
            ("GET", f"/v1/agencies/{HOST}/policy/versions/9"),
        ]:
            resp = await pstack.client.request(method, path, headers=stranger)
            assert resp.status_code == 404, (method, path)
        changed = await pstack.put({}, agency=HOST, token=stranger)
        assert changed.status_code == 404
        approve = await pstack.client.post(
            f"/v1/agencies/{HOST}/policy/versions/1/approve", json={}, headers=stranger
        )
        assert approve.status_code == 404
        assert problem(changed)["detail"] == problem(approve)["detail"]
        service = pstack.as_("svc-search", "service", agency=OTHER)
        read = await pstack.client.get(f"/v1/agencies/{HOST}/policy", headers=service)
        assert read.status_code == 200
        assert read.json()["policy"]["search"]["max_search_days"] == 30

    async def test_roles(self, pstack: PolicyStack) -> None:
        """R3: everyone the policy binds reads it; only the agency's alpr_admin changes it."""
        officer = pstack.as_("op-1", "operator")
        assert (await pstack.client.get(f"/v1/agencies/{HOST}/policy", headers=officer)).status_code == 200
        assert (await pstack.put({}, token=officer)).status_code == 403
        assert (await pstack.put({}, token=pstack.commander())).status_code == 403
        partner = pstack.as_("partner-1", "partner")
        assert (await pstack.client.get(f"/v1/agencies/{HOST}/policy", headers=partner)).status_code == 403

    async def test_two_agencies_each_get_their_own_rules(self, pstack: PolicyStack) -> None:
        """Issue 17: one deployment, two agencies, each with its own case-number pattern, window,
        retention and sharing rules."""
        ours = {
            "search": {"case_number_pattern": r"^SJ-[0-9]{6}$", "max_search_days": 30},
            "retention": {"floor_days": 90, "ceiling_days": 365, "detection_days": 365},
            "sharing": {"denied_agencies": ["CA0099999"]},
        }
        theirs = {
            "search": {"case_number_pattern": r"^[0-9]{4}-[0-9]{5}$", "max_search_days": 14},
            "retention": {"floor_days": 365, "ceiling_days": 730, "detection_days": 365},
            "sharing": {"max_results": 50},
        }
        for agency, policy in ((HOST, ours), (OTHER, theirs)):
            assert (await pstack.adopt(policy, agency))["status"] == "in_force"
        mine = (await pstack.current(HOST))["policy"]
        other = (await pstack.current(OTHER))["policy"]
        assert (mine["search"]["case_number_pattern"], mine["search"]["max_search_days"]) == (
            r"^SJ-[0-9]{6}$",
            30,
        )
        assert (other["search"]["case_number_pattern"], other["search"]["max_search_days"]) == (
            r"^[0-9]{4}-[0-9]{5}$",
            14,
        )
        assert (mine["retention"]["floor_days"], other["retention"]["floor_days"]) == (90, 365)
        assert (mine["sharing"]["denied_agencies"], other["sharing"]["denied_agencies"]) == (
            ["CA0099999"],
            [],
        )


class TestChanges:
    async def test_a_tightening_change_applies_at_its_effective_from_without_approval(
        self, pstack: PolicyStack
    ) -> None:
        """Issue 17, R40: a change that loosens nothing needs no approval; with a later
        ``effective_from`` it is published (scheduled) until then, and then in force."""
        first = await pstack.put({"search": {"max_search_days": 60}})
        assert first.status_code == 200, first.text
        v1 = first.json()
        assert (v1["version"], v1["status"], v1["loosens"]) == (1, "in_force", [])
        assert v1["proposed_by"]["sub"] == f"adm-{HOST}"
        assert v1["reason"] == "Council adopted the revision."
        later = await pstack.put({"search": {"max_search_days": 30}}, effective_from=_soon(2))
        assert later.status_code == 200, later.text
        assert (later.json()["version"], later.json()["status"]) == (2, "scheduled")
        assert (await pstack.current())["version"] == 1
        future = await pstack.current(at=_soon(3600))
        assert future["version"] == 2
        assert future["policy"]["search"]["max_search_days"] == 30
        deadline = time.monotonic() + POLL_S
        while (body := await pstack.current())["version"] != 2:
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.1)  # polling interval
        assert body["status"] == "in_force"
        before = await pstack.current(at=v1["in_force_from"])
        assert before["version"] == 1
        assert before["status"] == "superseded"
        events = await pstack.events("agency_policy.proposed", count=2)
        [proposed] = [e for e in events if f"{HOST}/policy/versions/2" in e["targets"]]
        assert proposed["actor"]["sub"] == f"adm-{HOST}"
        assert proposed["reason"] == "Council adopted the revision."
        assert proposed["data"]["changed"] == ["search.max_search_days"]

    async def test_a_loosening_change_waits_for_a_commander_who_is_not_its_proposer(
        self, pstack: PolicyStack
    ) -> None:
        """Issue 17: no case number needed, federal sharing allowed and longer retention loosen
        rules: pending until a commander of the agency, not the proposer, approves; on the
        ledger."""
        loose = {
            "search": {"case_number_required": False},
            "sharing": {"federal_allowed": True},
            "retention": {"ceiling_days": 730, "detection_days": 730},
        }
        proposer = pstack.as_("adm-cmd", "alpr_admin", "commander")
        resp = await pstack.put(loose, token=proposer)
        assert resp.status_code == 200, resp.text
        pending = resp.json()
        assert pending["status"] == "pending_approval"
        assert pending["loosens"] == [
            "retention.ceiling_days",
            "retention.detection_days",
            "search.case_number_required",
            "sharing.federal_allowed",
        ]
        assert (await pstack.current())["version"] == 0  # the defaults still apply
        path = f"/v1/agencies/{HOST}/policy/versions/{pending['version']}/approve"
        own = await pstack.client.post(path, json={}, headers=proposer)
        assert own.status_code == 403  # two people: the proposer never approves
        admin = await pstack.client.post(path, json={}, headers=pstack.admin())
        assert admin.status_code == 403  # a commander approves
        approved = await pstack.client.post(path, json={"note": "Reviewed."}, headers=pstack.commander())
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert (body["status"], body["decided_by"]["sub"], body["decision_note"]) == (
            "in_force",
            f"cmd-{HOST}",
            "Reviewed.",
        )
        now = await pstack.current()
        assert now["version"] == 1
        assert now["policy"]["sharing"]["federal_allowed"] is True
        again = await pstack.client.post(path, json={}, headers=pstack.commander())
        assert again.status_code == 409
        assert problem(again)["type"] == "urn:alpr:problem:conflict"
        [event] = await pstack.events("agency_policy.approved")
        assert event["actor"]["sub"] == f"cmd-{HOST}"
        assert event["data"]["loosens"] == pending["loosens"]
        [proposed] = await pstack.events("agency_policy.proposed")
        assert proposed["data"]["status"] == "pending_approval"

    async def test_a_rejected_change_never_takes_force(self, pstack: PolicyStack) -> None:
        resp = await pstack.put({"sharing": {"out_of_state_allowed": True}})
        version = resp.json()["version"]
        base = f"/v1/agencies/{HOST}/policy/versions/{version}"
        unexplained = await pstack.client.post(f"{base}/reject", json={}, headers=pstack.commander())
        assert unexplained.status_code == 422
        rejected = await pstack.client.post(
            f"{base}/reject", json={"note": "Not in state law."}, headers=pstack.commander()
        )
        assert rejected.status_code == 200
        assert rejected.json()["status"] == "rejected"
        late = await pstack.client.post(f"{base}/approve", json={}, headers=pstack.commander())
        assert late.status_code == 409
        assert (await pstack.current())["version"] == 0
        [event] = await pstack.events("agency_policy.rejected")
        assert event["reason"] == "Not in state law."

    async def test_a_pending_change_overtaken_by_a_newer_version_is_stale(self, pstack: PolicyStack) -> None:
        """An approval never brings back rules a newer version replaced: propose again."""
        loose = await pstack.put({"audits": {"cadence": "annual"}})
        assert loose.json()["status"] == "pending_approval"
        strict = await pstack.put({"search": {"max_search_days": 10}})
        assert strict.json()["status"] == "in_force"
        path = f"/v1/agencies/{HOST}/policy/versions/{loose.json()['version']}"
        assert (await pstack.client.get(path, headers=pstack.admin())).json()["status"] == "stale"
        late = await pstack.client.post(f"{path}/approve", json={}, headers=pstack.commander())
        assert late.status_code == 409

    async def test_a_loosening_is_judged_against_a_scheduled_version_too(self, pstack: PolicyStack) -> None:
        await pstack.put({"search": {"max_search_days": 10}}, effective_from=_soon(3600))
        back = await pstack.put({"search": {"max_search_days": 90}})
        assert back.json()["status"] == "pending_approval"
        assert back.json()["loosens"] == ["search.max_search_days"]

    async def test_versions_stay_readable_newest_first(self, pstack: PolicyStack) -> None:
        """R40 (Modesto 462.9): revisions are kept; the list pages with a cursor."""
        for days in (60, 50, 40):
            assert (await pstack.put({"search": {"max_search_days": days}})).status_code == 200
        path = f"/v1/agencies/{HOST}/policy/versions"
        first = (await pstack.client.get(path, params={"limit": 2}, headers=pstack.admin())).json()
        assert [(v["version"], v["status"]) for v in first["items"]] == [(3, "in_force"), (2, "superseded")]
        rest = await pstack.client.get(
            path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=pstack.admin()
        )
        assert [v["version"] for v in rest.json()["items"]] == [1]
        assert rest.json()["next_cursor"] is None
        assert rest.json()["items"][0]["policy"]["search"]["max_search_days"] == 60


class TestValidation:
    async def test_retention_outside_the_floor_or_ceiling_is_422_naming_both_r33(
        self, pstack: PolicyStack
    ) -> None:
        """R16, R33: detections are kept between the law's floor and the agency's ceiling; a
        value outside is refused with both bounds named."""
        for detection_days in (120, 800):
            resp = await pstack.put(
                {"retention": {"floor_days": 365, "ceiling_days": 730, "detection_days": detection_days}}
            )
            assert resp.status_code == 422, resp.text
            body = problem(resp)
            assert body["type"] == "urn:alpr:problem:validation"
            [error] = body["errors"]
            assert error["loc"][:3] == ["body", "policy", "retention"]
            assert "floor of 365 days" in error["msg"]
            assert "ceiling of 730 days" in error["msg"]
        below_law = await pstack.put({"retention": {"floor_days": 30, "detection_days": 30}})
        assert below_law.status_code == 422  # R16: never below 90 days
        upside_down = await pstack.put({"retention": {"floor_days": 730, "ceiling_days": 365}})
        assert upside_down.status_code == 422
        assert (await pstack.current())["version"] == 0

    async def test_prohibited_purposes_can_never_be_allowed_r7(self, pstack: PolicyStack) -> None:
        resp = await pstack.put(
            {"search": {"allowed_purposes": ["stolen_vehicle", "immigration_enforcement"]}}
        )
        assert resp.status_code == 422
        assert "prohibited purposes can never be allowed (R7): immigration_enforcement" in resp.text
        unknown = await pstack.put({"search": {"allowed_purposes": ["curiosity"]}})
        assert unknown.status_code == 422

    @pytest.mark.parametrize(
        "policy",
        [
            {"audits": {"sample_size": 5}},  # R21: at least 10
            {"audits": {"cadence": "biennial"}},
            {"search": {"case_number_pattern": "(unclosed"}},
            {"search": {"max_search_days": 0}},
            {"search": {"allowed_purposes": []}},
            {"tiers": [{"condition": "window_longer_than_days", "requires": "legal_process"}]},
            {"tiers": [{"condition": "partial_plate", "threshold": 3}]},
            {"tiers": [{"condition": "area_canvass"}, {"condition": "area_canvass"}]},
            {"sharing": {"denied_agencies": ["not an ori"]}},
            {"sharing": {"host_state": "California"}},
            {"sharing": {"max_results": 0}},
            {"retention": {"alert_days": 0}},
            {"published": {"custodian_name": "x" * 201}},
            {"searches": {}},  # a misspelt part is refused, never replaced by its default
        ],
    )
    async def test_each_field_is_validated(self, pstack: PolicyStack, policy: dict[str, Any]) -> None:
        resp = await pstack.put(policy)
        assert resp.status_code == 422, resp.text
        assert problem(resp)["errors"]

    async def test_a_change_never_takes_force_in_the_past(self, pstack: PolicyStack) -> None:
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        resp = await pstack.put({}, effective_from=past)
        assert resp.status_code == 422
        assert problem(resp)["errors"][0]["loc"] == ["body", "effective_from"]
        naive = await pstack.put({}, effective_from="2099-01-01T00:00:00")
        assert naive.status_code == 422
        assert (await pstack.put({}, reason="")).status_code == 422

    async def test_parts_left_out_take_the_strictest_defaults(self, pstack: PolicyStack) -> None:
        published = {
            "custodian_name": "Lt. Dana Ortiz",
            "custodian_title": "ALPR Administrator",
            "authorized_job_titles": ["Police Officer", "Crime Analyst"],
            "contractor_job_titles": ["Vendor support engineer"],
            "text": "Our policy.",
        }
        resp = await pstack.put({"published": published})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["status"] == "in_force"  # published text is not a rule: nothing loosened
        assert body["policy"] == AgencyPolicy.model_validate({"published": published}).model_dump(mode="json")
        assert body["policy"]["audits"] == {
            "cadence": "quarterly",
            "auditor": "separate_unit",
            "sample_size": 10,
        }


class TestSharingAppliesTheHostsPolicy:
    async def test_jurisdiction_and_deny_list_come_from_the_hosts_policy_r29(
        self, pstack: PolicyStack
    ) -> None:
        """R29, issue 17: a request is judged by the host agency's own sharing rules in force: out
        of state refused by default, accepted once the host's policy allows it (after a
        commander's approval), and refused again once the host deny-lists the agency."""
        partner, client_id = "NV0040000", "partner-nv"
        body = {
            "ori": partner,
            "name": "Reno PD",
            "state": "NV",
            "kind": "law_enforcement",
            "client_ids": [client_id],
        }
        assert (
            await pstack.client.post("/v1/agencies", json=body, headers=pstack.admin())
        ).status_code == 201
        now = datetime.now(UTC)
        made = await pstack.client.post("/v1/mous", json=mou_draft(partner), headers=pstack.admin())
        assert made.status_code == 201, made.text
        activated = await pstack.client.post(
            f"/v1/mous/{made.json()['id']}:activate", json={}, headers=pstack.admin()
        )
        assert activated.status_code == 200
        token = pstack.as_(client_id, "partner", agency=partner, client_id=client_id, name=client_id)
        request = {
            "requester_name": "Det. Pat",
            "purpose": "stolen_vehicle",
            "case_number": "P-2026-1",
            "scope": {
                "plate": "7ABC123",
                "from": (now - timedelta(days=2)).isoformat(),
                "to": now.isoformat(),
            },
        }

        async def file() -> httpx.Response:
            return await pstack.client.post("/v1/requests", json=request, headers=token)

        refused = await file()
        assert refused.status_code == 403
        assert refused.json()["reason"] == "out_of_state"
        await pstack.adopt({"sharing": {"out_of_state_allowed": True}})
        accepted = await file()
        assert accepted.status_code == 201, accepted.text
        await pstack.adopt({"sharing": {"out_of_state_allowed": True, "denied_agencies": [partner]}})
        denied = await file()
        assert denied.status_code == 403
        assert denied.json()["reason"] == "denied_agency"


class TestLoosening:
    """Issue 17: which changes wait for a commander (pure rules, no database)."""

    @pytest.mark.parametrize(
        ("change", "loosened"),
        [
            ({"search": {"case_number_required": False}}, "search.case_number_required"),
            ({"search": {"case_number_pattern": ".*"}}, "search.case_number_pattern"),
            ({"search": {"max_search_days": 91}}, "search.max_search_days"),
            ({"tiers": []}, "tiers.area_canvass"),
            (
                {
                    "tiers": [
                        {"condition": "area_canvass", "requires": "supervisor_approval"},
                        {
                            "condition": "all_cameras_longer_than_hours",
                            "threshold": 48,
                            "requires": "supervisor_approval",
                        },
                    ]
                },
                "tiers.all_cameras_longer_than_hours.threshold",
            ),
            ({"retention": {"hit_days": None}}, "retention.hit_days"),
            ({"retention": {"hits_keep_crop": True}}, "retention.hits_keep_crop"),
            ({"retention": {"floor_days": 90}}, "retention.floor_days"),
            ({"sharing": {"out_of_state_allowed": True}}, "sharing.out_of_state_allowed"),
            ({"sharing": {"host_state": "NV"}}, "sharing.host_state"),
            ({"sharing": {"max_results": 101}}, "sharing.max_results"),
            ({"sharing": {"exigent_accepted": True}}, "sharing.exigent_accepted"),
            ({"audits": {"cadence": "semi_annual"}}, "audits.cadence"),
            ({"audits": {"auditor": "alpr_administrator"}}, "audits.auditor"),
        ],
    )
    def test_a_looser_rule_is_named(self, change: dict[str, Any], loosened: str) -> None:
        assert loosened in loosenings(AgencyPolicy(), AgencyPolicy.model_validate(change))

    def test_tightening_and_the_published_text_loosen_nothing(self) -> None:
        base = AgencyPolicy.model_validate(
            {
                "search": {"allowed_purposes": ["stolen_vehicle", "amber_alert"]},
                "sharing": {"denied_agencies": ["CA0099999"]},
                "audits": {"cadence": "annual", "sample_size": 20},
            }
        )
        tighter = AgencyPolicy.model_validate(
            {
                "search": {"allowed_purposes": ["amber_alert"], "max_search_days": 7},
                "tiers": [
                    {"condition": "area_canvass", "requires": "legal_process"},
                    {"condition": "partial_plate", "requires": "supervisor_approval"},
                    {
                        "condition": "all_cameras_longer_than_hours",
                        "threshold": 12,
                        "requires": "supervisor_approval",
                    },
                ],
                "retention": {
                    "floor_days": 365,
                    "ceiling_days": 365,
                    "detection_days": 365,
                    "alert_days": 30,
                },
                "sharing": {"denied_agencies": ["CA0099999", "CA0088888"], "max_results": 10},
                "audits": {"cadence": "quarterly", "sample_size": 30},
                "published": {"text": "Anything at all."},
            }
        )
        assert loosenings(base, tighter) == []
        assert "search.allowed_purposes" in loosenings(tighter, base)
        assert "sharing.denied_agencies" in loosenings(tighter, base)
        assert "audits.sample_size" in loosenings(tighter, base)

    def test_sharings_own_settings_are_a_new_agencys_defaults(self) -> None:
        """Issue 17: SHARING_HOST_STATE / ALLOW_FEDERAL / ALLOW_OUT_OF_STATE become the defaults of
        an agency's first version; everything else is strictest."""
        settings = Settings(host_state="NV", allow_federal=True, allow_out_of_state=True)
        policy = defaults(settings)
        assert (
            policy.sharing.host_state,
            policy.sharing.federal_allowed,
            policy.sharing.out_of_state_allowed,
        ) == (
            "NV",
            True,
            True,
        )
        assert policy.model_copy(update={"sharing": AgencyPolicy().sharing}) == AgencyPolicy()

    def test_the_strictest_defaults(self) -> None:
        policy = AgencyPolicy()
        assert policy.search.case_number_required
        assert policy.search.max_search_days == 90
        assert not policy.sharing.federal_allowed
        assert not policy.sharing.exigent_accepted
        assert policy.audits.cadence is AuditCadence.QUARTERLY
        assert policy.audits.auditor is Auditor.SEPARATE_UNIT
        assert WarrantTier(
            condition=TierCondition.AREA_CANVASS, requires=TierRequirement.SUPERVISOR_APPROVAL
        ) in (policy.tiers)
        assert not policy.retention.hits_keep_crop


class Clock:
    """The policy client's clock, moved by the test (no waiting for the cache to expire)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestPolicyClient:
    async def test_cached_then_refreshed_then_last_known_while_sharing_is_down(self, infra: Infra) -> None:
        """Issue 17, item 3: a change in force reaches a reader within its cache time (30 s,
        inside the 60 s promised); with sharing stopped the last version read still applies;
        an agency never read gets the strictest defaults."""
        db = infra.migrated_database("alpr_sharing", "alpr_audit", prefix="policy")
        sharing_secret = infra.register_client("svc-sharing-pc", roles=["service"])
        reader_secret = infra.register_client("svc-search-pc", roles=["service"])
        clock = Clock()
        async with serve_audit(infra, db) as audit_url, httpx.AsyncClient(timeout=10) as http:
            settings = infra.settings(
                "sharing",
                database_url=db,
                audit_url=audit_url,
                client_id="svc-sharing-pc",
                client_secret=sharing_secret,
            )
            credentials = ClientCredentials(
                issuer=infra.issuer_url, client_id="svc-search-pc", client_secret=reader_secret, http=http
            )
            async with serve_http(create_app("sharing", settings)) as url:
                stack = PolicyStack(
                    infra=infra,
                    client=httpx.AsyncClient(base_url=url, timeout=30),
                    audit_url=audit_url,
                )
                async with stack.client:
                    assert (await stack.put({"search": {"max_search_days": 30}})).status_code == 200
                    policies = AgencyPolicyClient(
                        SharingClient(url, http=http, credentials=credentials), ttl_seconds=30, clock=clock
                    )
                    first = await policies.version(HOST)
                    assert (first.version, first.policy.search.max_search_days) == (1, 30)
                    assert (await stack.put({"search": {"max_search_days": 14}})).status_code == 200
                    clock.now = 29.0
                    assert (await policies.policy(HOST)).search.max_search_days == 30  # cached
                    clock.now = 31.0
                    assert (await policies.policy(HOST)).search.max_search_days == 14  # within 60 s
            # Sharing is stopped: the last version read applies; an agency never read is strictest.
            with pytest.raises(httpx.TransportError):
                await http.get(f"{url}/healthz")
            clock.now = 1000.0
            kept = await policies.version(HOST)
            assert (kept.version, kept.policy.search.max_search_days) == (2, 14)
            clock.now = 2000.0
            assert (await policies.policy(HOST)).search.max_search_days == 14
            never = await policies.version(OTHER)
            assert (never.version, never.status) == (0, PolicyStatus.DEFAULT)
            assert never.policy == AgencyPolicy()
            fresh = AgencyPolicyClient(SharingClient(url, http=http, credentials=credentials))
            assert (await fresh.policy(HOST)) == AgencyPolicy()
