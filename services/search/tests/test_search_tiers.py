"""Warrant-style tiers (issue 17; R5-R8, R21, R27): a search in one of its agency's tiers is
refused (and recorded) without the tier's supervisor approval or legal-process reference, runs
once with it, and cannot be rerun on the same approval. The approval is a search request decided
like a sharing request: the requester never decides it, a supervisor of the same agency does,
valid once and for a limited time, on the ledger."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from search_support import SearchStack
from sqlalchemy import text

from alpr_common import (
    AgencyPolicy,
    SearchPolicy,
    TierCondition,
    TierRequirement,
    WarrantTier,
    make_engine,
)
from alpr_devstack.testing import bearer, problem, serve
from alpr_search.app import create_app
from alpr_search.searches.schemas import SearchRequest
from alpr_search.searches.tiers import tiers_met

SAN_JOSE, NEVER_READ, OTHER = "CA0019400", "CA0030300", "CA0010900"
CASE = "2026-001234"
CAMERA = str(uuid.uuid4())
NOW = datetime.now(UTC).replace(microsecond=0)
PLACE = {"latitude": 37.3361, "longitude": -121.8905, "radius_m": 500}
WARRANT = {
    "kind": "warrant",
    "number": "SW-2026-0412",
    "court": "Superior Court of California, County of Santa Clara",
    "issued_on": (NOW.date() - timedelta(days=2)).isoformat(),
}
CANVASS = WarrantTier(condition=TierCondition.AREA_CANVASS, requires=TierRequirement.SUPERVISOR_APPROVAL)
LONG_WINDOW = WarrantTier(
    condition=TierCondition.WINDOW_LONGER_THAN_DAYS, threshold=30, requires=TierRequirement.LEGAL_PROCESS
)


def with_tiers(stack: SearchStack, agency: str = SAN_JOSE) -> None:
    """The agency's policy (version 1): an area canvass needs a supervisor's approval, a window
    longer than 30 days a warrant or court order."""
    stack.sharing.policies[agency] = AgencyPolicy(
        search=SearchPolicy(max_search_days=90), tiers=[CANVASS, LONG_WINDOW]
    )


def detection(plate: str, hours_ago: float = 1, agency: str = SAN_JOSE) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "agency": agency,
        "camera_id": CAMERA,
        "captured_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
        "latitude": PLACE["latitude"],
        "longitude": PLACE["longitude"],
        "plate": plate,
        "region": "CA",
        "confidence": 0.9,
    }


async def seed(stack: SearchStack, rows: list[dict[str, Any]]) -> None:
    resp = await stack.client.post("/v1/detections:batch", json={"detections": rows}, headers=stack.service)
    assert resp.status_code == 200, resp.text


def window(days: float = 7) -> dict[str, str]:
    return {"from": (NOW - timedelta(days=days)).isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()}


def query(days: float = 7, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"purpose": "stolen_vehicle", "case_number": CASE, **window(days), **overrides}
    return {k: v for k, v in body.items() if v is not None}


def user(stack: SearchStack, sub: str, *roles: str, agency: str = SAN_JOSE) -> dict[str, str]:
    return bearer(
        stack.infra.mint(sub=sub, name=sub.title(), roles=list(roles) or ["investigator"], agency=agency)
    )


def at_once(_: list[dict[str, Any]]) -> bool:
    """``until`` of a read that expects nothing: a view's refusal is recorded before the answer,
    and nothing else is coming."""
    return True


async def events(stack: SearchStack, action: str, *, outcome: str | None = None, agency: str = SAN_JOSE,
                 until: Callable[[list[dict[str, Any]]], bool] = bool) -> list[dict[str, Any]]:  # fmt: skip
    """The agency's events of ``action`` as its auditor reads them, polled until ``until`` holds
    of them (a change's event comes through the outbox) or 10 s pass."""
    auditor = user(stack, f"aud-{agency}", "auditor", agency=agency)
    params = {"action": action, "limit": "200", **({"outcome": outcome} if outcome else {})}
    deadline = time.monotonic() + 10
    async with httpx.AsyncClient() as http:
        while True:
            resp = await http.get(f"{stack.audit_url}/v1/events", params=params, headers=auditor)
            assert resp.status_code == 200, resp.text
            found: list[dict[str, Any]] = resp.json()["items"]
            if until(found) or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.1)  # polling interval


async def ask(
    stack: SearchStack, requester: dict[str, str], criteria: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    body = {
        "purpose": "stolen_vehicle",
        "case_number": CASE,
        "justification": "Canvass near the burglary at 5th and Main the night of the 1st.",
        "criteria": criteria,
        **extra,
    }
    resp = await stack.client.post("/v1/search-requests", json=body, headers=requester)
    assert resp.status_code == 201, resp.text
    made: dict[str, Any] = resp.json()
    return made


async def decide(
    stack: SearchStack, request_id: str, supervisor: dict[str, str], *, approve: bool = True
) -> httpx.Response:
    return await stack.client.post(
        f"/v1/search-requests/{request_id}/decision",
        json={"approve": approve, "note": "Reviewed the affidavit." if approve else "Too broad."},
        headers=supervisor,
    )


class TestWhichTiers:
    def test_each_condition(self) -> None:
        """The four conditions, as a search's body carries them."""
        tiers = [
            WarrantTier(condition=TierCondition.WINDOW_LONGER_THAN_DAYS, threshold=30),
            WarrantTier(condition=TierCondition.AREA_CANVASS),
            WarrantTier(condition=TierCondition.PARTIAL_PLATE),
            WarrantTier(condition=TierCondition.ALL_CAMERAS_LONGER_THAN_HOURS, threshold=24),
        ]

        def met(**body: Any) -> list[str]:
            search = SearchRequest.model_validate(query(**body))
            return [t.condition.value for t in tiers_met(tiers, search)]

        assert met(days=0.5) == []
        assert met(days=31) == ["window_longer_than_days"]
        assert met(days=29, area=PLACE) == ["area_canvass"]
        assert met(days=0.5, plate="7abc*") == ["partial_plate"]
        assert met(days=0.5, plate="7A?C123") == ["partial_plate"]
        assert met(days=2, plate="7ABC123") == ["all_cameras_longer_than_hours"]
        # One camera, or an area, is not every camera; a day or less is within the tier.
        assert met(days=2, plate="7ABC123", camera_ids=[CAMERA]) == []
        assert met(days=2, plate="7ABC123", area=PLACE) == ["area_canvass"]
        assert met(days=0.9, plate="7ABC123") == []
        assert met(days=40, plate="7AB*", area=PLACE) == [
            "window_longer_than_days",
            "area_canvass",
            "partial_plate",
        ]


class TestRefusedWithout:
    async def test_refused_and_recorded_without_what_the_tier_needs(self, search_stack: SearchStack) -> None:
        """A canvass without an approval, a 40-day window without legal process: 403 naming the
        tier, and each attempt on the ledger as a refused search with the tiers not met."""
        with_tiers(search_stack)
        await seed(search_stack, [detection("7ABC123")])
        officer = search_stack.investigator
        resp = await search_stack.client.post("/v1/searches", json=query(area=PLACE), headers=officer)
        assert resp.status_code == 403, resp.text
        detail = problem(resp)["detail"]
        assert "area canvass (area_canvass) needs supervisor approval" in detail
        assert "/v1/search-requests" in detail
        resp = await search_stack.client.post("/v1/searches", json=query(days=40), headers=officer)
        assert resp.status_code == 403, resp.text
        assert (
            "a window longer than 30 days (window_longer_than_days) needs legal process"
            in problem(resp)["detail"]
        )
        # Not even an approval meets a tier that requires legal process.
        resp = await search_stack.client.post(
            "/v1/searches", json=query(days=40, approval_id=str(uuid.uuid4())), headers=officer
        )
        assert resp.status_code == 403, resp.text
        refused = await events(
            search_stack, "search.executed", outcome="refused", until=lambda e: len(e) >= 3
        )
        assert len(refused) == 3
        by_tier = {tuple(t["condition"] for t in e["data"]["tiers_unmet"]) for e in refused}
        assert by_tier == {("area_canvass",), ("window_longer_than_days",)}
        assert all("warrant-style tier" in e["outcome_reason"] for e in refused)
        assert not await events(search_stack, "search.executed", outcome="allowed", until=at_once)
        # Out of every tier: runs as before.
        resp = await search_stack.client.post("/v1/searches", json=query(days=29), headers=officer)
        assert resp.status_code == 200, resp.text

    async def test_a_hold_by_search_in_a_tier_needs_what_a_search_needs(
        self, search_stack: SearchStack
    ) -> None:
        """A hold by search is a search: in a tier without its approval, refused and recorded;
        with a legal process, or with an approval asked for this very search, it holds (once)."""
        with_tiers(search_stack)
        await seed(search_stack, [detection("7ABC123")])
        supervisor = user(search_stack, "sup-hold", "supervisor")
        body: dict[str, Any] = {
            "case_number": CASE,
            "reason": "Evidence of the canvass.",
            "search": {"purpose": "stolen_vehicle", **window(3), "area": PLACE},
        }
        resp = await search_stack.client.post("/v1/holds", json=body, headers=supervisor)
        assert resp.status_code == 403, resp.text
        assert "area_canvass" in problem(resp)["detail"]
        [refused] = await events(search_stack, "search.executed", outcome="refused", until=bool)
        assert refused["data"]["hold"] is True
        assert refused["data"]["tiers_unmet"][0]["condition"] == "area_canvass"
        assert not await events(search_stack, "hold.created", until=at_once)

        # Under a warrant: held.
        warranted = {**body, "search": {**body["search"], "legal_process": WARRANT}}
        resp = await search_stack.client.post("/v1/holds", json=warranted, headers=supervisor)
        assert resp.status_code == 201, resp.text
        # With a supervisor's approval of the same search (the hold's case number and reason):
        # held once; the approval does not hold a second time.
        detective = user(search_stack, "det-hold", "investigator")
        criteria = body["search"]
        made = await ask(
            search_stack,
            detective,
            {k: v for k, v in criteria.items() if k != "purpose"},
            reason=body["reason"],
        )
        assert (await decide(search_stack, made["id"], supervisor)).status_code == 200
        approved = {**body, "search": {**criteria, "approval_id": made["id"]}}
        resp = await search_stack.client.post("/v1/holds", json=approved, headers=detective)
        assert resp.status_code == 201, resp.text
        resp = await search_stack.client.post("/v1/holds", json=approved, headers=detective)
        assert resp.status_code == 403, resp.text
        assert "used already" in problem(resp)["detail"]
        used = await events(search_stack, "search_request.used", until=bool)
        assert len(used) == 1
        held = await events(search_stack, "hold.created", until=lambda e: len(e) >= 2)
        assert len(held) == 2

    async def test_an_agency_without_a_policy_gets_the_settings_strict_tiers(
        self, search_stack: SearchStack
    ) -> None:
        """Version 0 (no policy of its own): ``SEARCH_DEFAULT_TIERS``, by default the policy's
        strictest tiers, refuses a plate followed across every camera for two days."""
        strict = search_stack.settings.model_copy(update={"default_tiers": AgencyPolicy().tiers})
        officer = user(search_stack, "inv-never", agency=NEVER_READ)
        await seed(search_stack, [detection("7ABC123", agency=NEVER_READ)])
        async with serve(create_app(strict)) as client:
            resp = await client.post("/v1/searches", json=query(days=2, plate="7ABC123"), headers=officer)
            assert resp.status_code == 403, resp.text
            assert "all_cameras_longer_than_hours" in problem(resp)["detail"]
            one_camera = query(days=2, plate="7ABC123", camera_ids=[CAMERA])
            assert (await client.post("/v1/searches", json=one_camera, headers=officer)).status_code == 200
            one_day = query(days=0.5, plate="7ABC123")
            assert (await client.post("/v1/searches", json=one_day, headers=officer)).status_code == 200
        # The test stacks' own setting (none) lets the same search run.
        resp = await search_stack.client.post(
            "/v1/searches", json=query(days=2, plate="7ABC123"), headers=officer
        )
        assert resp.status_code == 200, resp.text


class TestLegalProcess:
    async def test_runs_with_a_warrant_and_the_ledger_and_sample_audit_show_it(
        self, search_stack: SearchStack
    ) -> None:
        """A legal process reference meets a legal-process tier and a supervisor-approval tier
        alike; the search's event (and so the sample audit) shows it and the tiers it met."""
        with_tiers(search_stack)
        await seed(search_stack, [detection("7ABC123")])
        officer = search_stack.investigator
        body = query(days=40, area=PLACE, legal_process=WARRANT)
        resp = await search_stack.client.post("/v1/searches", json=body, headers=officer)
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["items"]) == 1
        [event] = await events(search_stack, "search.executed", outcome="allowed", until=bool)
        assert event["data"]["legal_process"] == WARRANT
        assert {(t["condition"], t["met_by"]) for t in event["data"]["tiers"]} == {
            ("window_longer_than_days", "legal_process"),
            ("area_canvass", "legal_process"),
        }
        async with httpx.AsyncClient() as http:
            resp = await http.post(
                f"{search_stack.audit_url}/v1/audits", json={"size": 10}, headers=search_stack.auditor
            )
        assert resp.status_code in (200, 201), resp.text
        [item] = [i for i in resp.json()["items"] if "legal_process" in i["data"]]
        assert item["data"]["legal_process"]["number"] == "SW-2026-0412"

    async def test_a_bad_reference_is_refused(self, search_stack: SearchStack) -> None:
        with_tiers(search_stack)
        officer = search_stack.investigator
        future = {**WARRANT, "issued_on": (date.today() + timedelta(days=3)).isoformat()}
        for bad in (
            future,
            {**WARRANT, "number": ""},
            {**WARRANT, "court": "x"},
            {**WARRANT, "kind": "subpoena"},
            {k: v for k, v in WARRANT.items() if k != "court"},
            {**WARRANT, "number": "SW-1; DROP TABLE"},
        ):
            resp = await search_stack.client.post(
                "/v1/searches", json=query(days=40, legal_process=bad), headers=officer
            )
            assert resp.status_code == 422, (bad, resp.text)
        both = query(days=40, legal_process=WARRANT, approval_id=str(uuid.uuid4()))
        resp = await search_stack.client.post("/v1/searches", json=both, headers=officer)
        assert resp.status_code == 422, resp.text
        assert "not both" in problem(resp)["detail"]


class TestSupervisorApproval:
    async def test_approved_search_runs_once_its_pages_continue_and_it_cannot_rerun(
        self, search_stack: SearchStack
    ) -> None:
        with_tiers(search_stack)
        await seed(search_stack, [detection("7ABC123", 1), detection("7ABC124", 2), detection("7ABC125", 3)])
        # A detective who is also a supervisor asks: they still cannot decide their own.
        detective = user(search_stack, "det-both", "investigator", "supervisor")
        supervisor = user(search_stack, "sup-1", "supervisor")
        criteria = {**window(3), "area": PLACE}
        made = await ask(search_stack, detective, criteria)
        assert made["status"] == "pending"
        assert made["tiers"] == ["area_canvass"]
        resp = await decide(search_stack, made["id"], detective)
        assert resp.status_code == 403, resp.text
        assert "never decides their own" in problem(resp)["detail"]
        # Not approved yet: the search is refused.
        search = query(days=3, area=PLACE, approval_id=made["id"], limit=2)
        resp = await search_stack.client.post("/v1/searches", json=search, headers=detective)
        assert resp.status_code == 403, resp.text
        assert "pending" in problem(resp)["detail"]
        resp = await decide(search_stack, made["id"], supervisor)
        assert resp.status_code == 200, resp.text
        approved = resp.json()
        assert approved["status"] == "approved"
        assert approved["decided_by"]["sub"] == "sup-1"
        assert datetime.fromisoformat(approved["expires_at"]) > datetime.now(UTC) + timedelta(hours=23)
        assert (await decide(search_stack, made["id"], supervisor, approve=False)).status_code == 409

        # Runs once; its next page (the signed cursor) continues it without using it again.
        resp = await search_stack.client.post("/v1/searches", json=search, headers=detective)
        assert resp.status_code == 200, resp.text
        first = resp.json()
        assert len(first["items"]) == 2
        assert first["next_cursor"]
        resp = await search_stack.client.post(
            "/v1/searches", json={**search, "cursor": first["next_cursor"]}, headers=detective
        )
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["items"]) == 1
        # Not again.
        resp = await search_stack.client.post("/v1/searches", json=search, headers=detective)
        assert resp.status_code == 403, resp.text
        assert "used already" in problem(resp)["detail"]

        resp = await search_stack.client.get(f"/v1/search-requests/{made['id']}", headers=detective)
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == "used"
        assert resp.json()["used_by_search"] == first["search_id"]
        # On the ledger: the request, its decision, its one use, and the search showing it.
        [created] = await events(search_stack, "search_request.created", until=bool)
        assert created["targets"] == [made["id"]]
        assert created["data"]["area"] == PLACE
        [decided] = await events(search_stack, "search_request.decided", until=bool)
        assert decided["actor"]["sub"] == "sup-1"
        assert decided["data"]["decision"] == "approved"
        [used] = await events(search_stack, "search_request.used", until=bool)
        assert used["targets"] == [made["id"], first["search_id"]]
        [ran] = await events(search_stack, "search.executed", outcome="allowed", until=bool)
        assert ran["data"]["approval_id"] == made["id"]
        assert ran["data"]["tiers"] == [
            {
                "condition": "area_canvass",
                "threshold": None,
                "requires": "supervisor_approval",
                "met_by": "approval",
            }
        ]
        [page] = await events(search_stack, "detection.viewed", until=bool)
        assert page["data"]["approval_id"] == made["id"]
        refused = await events(
            search_stack, "search.executed", outcome="refused", until=lambda e: len(e) >= 2
        )
        assert {e["data"]["approval_refused"] for e in refused} == {"pending", "used"}

    async def test_two_searches_racing_for_one_approval_run_once(self, search_stack: SearchStack) -> None:
        with_tiers(search_stack)
        await seed(search_stack, [detection("7ABC123")])
        officer = search_stack.investigator
        made = await ask(search_stack, officer, {**window(3), "area": PLACE})
        assert (
            await decide(search_stack, made["id"], user(search_stack, "sup-1", "supervisor"))
        ).status_code == 200
        search = query(days=3, area=PLACE, approval_id=made["id"])
        answers = await asyncio.gather(
            *(search_stack.client.post("/v1/searches", json=search, headers=officer) for _ in range(4))
        )
        assert sorted(r.status_code for r in answers) == [200, 403, 403, 403], [r.text for r in answers]

    async def test_another_search_expired_or_rejected_or_someone_elses_is_refused(
        self, search_stack: SearchStack
    ) -> None:
        with_tiers(search_stack)
        await seed(search_stack, [detection("7ABC123")])
        officer, supervisor = search_stack.investigator, user(search_stack, "sup-1", "supervisor")
        made = await ask(search_stack, officer, {**window(3), "area": PLACE, "plate": "7ABC123"})
        assert (await decide(search_stack, made["id"], supervisor)).status_code == 200
        search = query(days=3, area=PLACE, plate="7ABC123", approval_id=made["id"])

        # Other criteria (another plate), another case number: 422, and the approval is not used.
        for other in (
            {"plate": "7ABC999"},
            {"case_number": "2026-009999"},
            {"area": {**PLACE, "radius_m": 900}},
        ):
            resp = await search_stack.client.post("/v1/searches", json={**search, **other}, headers=officer)
            assert resp.status_code == 422, resp.text
            assert "another search" in problem(resp)["detail"]
        # Someone else's approval, or another agency's: as if there were none.
        colleague = user(search_stack, "inv-2", "investigator")
        resp = await search_stack.client.post("/v1/searches", json=search, headers=colleague)
        assert resp.status_code == 403, resp.text
        assert "no such approval" in problem(resp)["detail"]
        with_tiers(search_stack, OTHER)
        stranger = user(search_stack, "inv-other", "investigator", agency=OTHER)
        resp = await search_stack.client.post("/v1/searches", json=search, headers=stranger)
        assert resp.status_code == 403
        assert "no such approval" in problem(resp)["detail"]

        # Expired (its time limit passed, as the clock will make it): refused.
        engine = make_engine(search_stack.settings.database_url, application_name="tiers-test")
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE search.search_requests SET expires_at = now() - interval '1 minute' "
                        "WHERE id = :id"
                    ),
                    {"id": made["id"]},
                )
        finally:
            await engine.dispose()
        resp = await search_stack.client.post("/v1/searches", json=search, headers=officer)
        assert resp.status_code == 403, resp.text
        assert "expired" in problem(resp)["detail"]
        resp = await search_stack.client.get(f"/v1/search-requests/{made['id']}", headers=officer)
        assert resp.json()["status"] == "expired"

        # Rejected: refused.
        rejected = await ask(search_stack, officer, {**window(3), "area": PLACE})
        assert (await decide(search_stack, rejected["id"], supervisor, approve=False)).status_code == 200
        resp = await search_stack.client.post(
            "/v1/searches", json=query(days=3, area=PLACE, approval_id=rejected["id"]), headers=officer
        )
        assert resp.status_code == 403
        assert "rejected" in problem(resp)["detail"]

    async def test_who_sees_and_who_decides_R27(self, search_stack: SearchStack) -> None:
        """A supervisor sees the agency's requests, a requester their own; another agency's
        request, or a colleague's, is 404 like an unknown id; only a supervisor of the agency
        decides."""
        with_tiers(search_stack)
        officer, colleague = search_stack.investigator, user(search_stack, "inv-2", "analyst")
        mine = await ask(search_stack, officer, {**window(3), "area": PLACE})
        theirs = await ask(search_stack, colleague, {**window(2), "area": PLACE})
        supervisor = user(search_stack, "sup-1", "supervisor")
        listed = await search_stack.client.get("/v1/search-requests", headers=supervisor)
        assert {r["id"] for r in listed.json()["items"]} == {mine["id"], theirs["id"]}
        listed = await search_stack.client.get("/v1/search-requests", headers=officer)
        assert [r["id"] for r in listed.json()["items"]] == [mine["id"]]
        assert (
            await search_stack.client.get(f"/v1/search-requests/{theirs['id']}", headers=officer)
        ).status_code == 404
        other_sup = user(search_stack, "sup-other", "supervisor", agency=OTHER)
        for path in (f"/v1/search-requests/{mine['id']}", f"/v1/search-requests/{uuid.uuid4()}"):
            assert (await search_stack.client.get(path, headers=other_sup)).status_code == 404
        assert (await decide(search_stack, mine["id"], other_sup)).status_code == 404
        assert (await decide(search_stack, mine["id"], colleague)).status_code == 403  # not a supervisor
        # Two lists, each recorded before it left; the 404s showed nothing.
        viewed = await events(search_stack, "search_request.viewed", until=lambda e: len(e) >= 2)
        assert sorted(e["actor"]["sub"] for e in viewed) == ["inv-1", "sup-1"]

    async def test_a_request_is_checked_as_its_search_will_be(self, search_stack: SearchStack) -> None:
        """A prohibited purpose (R7, recorded), a window past the agency's limit, a case number
        out of its pattern: refused when asked, never approved."""
        with_tiers(search_stack)
        officer = search_stack.investigator
        body = {
            "purpose": "immigration_enforcement",
            "case_number": CASE,
            "justification": "Not a permitted use at all.",
            "criteria": {**window(3), "area": PLACE},
        }
        resp = await search_stack.client.post("/v1/search-requests", json=body, headers=officer)
        assert resp.status_code == 403, resp.text
        [refused] = await events(search_stack, "search_request.created", outcome="refused", until=bool)
        assert refused["outcome_reason"] == "purpose-prohibited"
        too_long = {**body, "purpose": "stolen_vehicle", "criteria": {**window(120), "area": PLACE}}
        resp = await search_stack.client.post("/v1/search-requests", json=too_long, headers=officer)
        assert resp.status_code == 422
        assert "at most 90 days" in problem(resp)["detail"]
        bad_case = {**body, "purpose": "stolen_vehicle", "case_number": "nope"}
        assert (
            await search_stack.client.post("/v1/search-requests", json=bad_case, headers=officer)
        ).status_code == 422
        supervisor_only = user(search_stack, "sup-1", "supervisor")
        assert (
            await search_stack.client.post(
                "/v1/search-requests", json={**body, "purpose": "stolen_vehicle"}, headers=supervisor_only
            )
        ).status_code == 403
