"""Each agency's own search rules (issue 17, item 3; R5-R8): two agencies on one deployment,
each with its own case-number pattern, window and purposes, read from sharing's policy record;
while sharing cannot be reached the last version read still applies, and an agency never read
gets the defaults."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from search_support import SearchStack

from alpr_common import AgencyPolicy, AgencyPolicyClient, AuthorizedPurpose, SearchPolicy
from alpr_devstack.testing import bearer, problem, serve
from alpr_search.app import create_app
from alpr_search.settings import Settings

SAN_JOSE, HAYWARD, NEVER_READ = "CA0019400", "CA0010900", "CA0030300"
SJ_PATTERN = r"^[0-9]{2}-[0-9]{6}$"  # 26-123456
HW_PATTERN = r"^HPD[0-9]{6}$"  # HPD123456
NOW = datetime.now(UTC).replace(microsecond=0)


def query(days: float = 7, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "stolen_vehicle",
        "from": (NOW - timedelta(days=days)).isoformat(),
        "to": NOW.isoformat(),
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def two_agencies(stack: SearchStack) -> None:
    stack.sharing.policies[SAN_JOSE] = AgencyPolicy(
        search=SearchPolicy(
            case_number_pattern=SJ_PATTERN,
            max_search_days=30,
            allowed_purposes=[AuthorizedPurpose.STOLEN_VEHICLE, AuthorizedPurpose.WANTED_PERSON],
        )
    )
    stack.sharing.policies[HAYWARD] = AgencyPolicy(
        search=SearchPolicy(case_number_pattern=HW_PATTERN, case_number_required=False, max_search_days=120)
    )


def runner(stack: SearchStack) -> Callable[..., Awaitable[httpx.Response]]:
    """``await run(headers, **query)``: a search as the holder of ``headers``."""

    async def run(headers: dict[str, str], **overrides: Any) -> httpx.Response:
        return await stack.client.post("/v1/searches", json=query(**overrides), headers=headers)

    return run


def officer(stack: SearchStack, agency: str) -> dict[str, str]:
    return bearer(stack.infra.mint(sub=f"inv-{agency}", roles=["investigator"], agency=agency))


async def refusals(stack: SearchStack, agency: str, action: str = "search.executed") -> list[dict[str, Any]]:
    """The refusals on the ledger, as the agency's own auditor reads them."""
    auditor = bearer(stack.infra.mint(sub=f"aud-{agency}", roles=["auditor"], agency=agency))
    async with httpx.AsyncClient() as http:
        resp = await http.get(
            f"{stack.audit_url}/v1/events", params={"action": action, "outcome": "refused"}, headers=auditor
        )
    assert resp.status_code == 200, resp.text
    events: list[dict[str, Any]] = resp.json()["items"]
    assert all(e["actor"]["agency"] == agency for e in events)
    return events


class TestEachAgencysRules:
    async def test_case_number_pattern_is_the_agencys_own_R5(self, search_stack: SearchStack) -> None:
        """R5: a case number valid for one agency is refused for the other, the problem naming
        the pattern it must match."""
        two_agencies(search_stack)
        sj, hw = officer(search_stack, SAN_JOSE), officer(search_stack, HAYWARD)
        run = runner(search_stack)
        assert (await run(sj, case_number="26-123456")).status_code == 200
        assert (await run(hw, case_number="HPD123456")).status_code == 200
        for headers, case, pattern in ((hw, "26-123456", HW_PATTERN), (sj, "HPD123456", SJ_PATTERN)):
            resp = await run(headers, case_number=case)
            assert resp.status_code == 422, resp.text
            body = problem(resp)
            assert body["type"] == "urn:alpr:problem:validation"
            assert body["errors"] == [{"loc": ["case_number"], "msg": f"must match {pattern}"}]
        # The deployment's default format is neither agency's any more.
        resp = await run(sj, case_number="2026-001234")
        assert resp.status_code == 422
        [refused] = await refusals(search_stack, HAYWARD)
        assert refused["case_number"] == "26-123456"
        assert "does not match" in refused["outcome_reason"]
        assert len(await refusals(search_stack, SAN_JOSE)) == 2

    async def test_reason_instead_of_a_case_number_where_the_agency_allows_R5(
        self, search_stack: SearchStack
    ) -> None:
        two_agencies(search_stack)
        sj, hw = officer(search_stack, SAN_JOSE), officer(search_stack, HAYWARD)
        body = query(reason="Be-on-the-lookout from dispatch, 14:02")
        assert (await search_stack.client.post("/v1/searches", json=body, headers=hw)).status_code == 200
        resp = await search_stack.client.post("/v1/searches", json=body, headers=sj)
        assert resp.status_code == 422
        assert problem(resp)["errors"] == [{"loc": ["case_number"], "msg": "required"}]

    async def test_window_is_the_agencys_own_R8(self, search_stack: SearchStack) -> None:
        """R8: 60 days is too long for San Jose (30) and fine for Hayward (120, longer than the
        deployment's default of 90: the agency's policy, not the setting, applies)."""
        two_agencies(search_stack)
        sj, hw = officer(search_stack, SAN_JOSE), officer(search_stack, HAYWARD)
        run = runner(search_stack)
        sixty = query(days=60, case_number="26-123456")
        resp = await search_stack.client.post("/v1/searches", json=sixty, headers=sj)
        assert resp.status_code == 422, resp.text
        assert "at most 30 days" in problem(resp)["detail"]
        assert (await run(sj, days=29, case_number="26-123456")).status_code == 200
        for days in (60, 110):
            resp = await run(hw, days=days, case_number="HPD123456")
            assert resp.status_code == 200, resp.text
        resp = await run(hw, days=121, case_number="HPD123456")
        assert resp.status_code == 422
        assert "at most 120 days" in problem(resp)["detail"]
        [refused] = await refusals(search_stack, SAN_JOSE)
        assert "30 days" in refused["outcome_reason"]

    async def test_a_purpose_the_agency_does_not_allow_is_refused_and_recorded_R6_R7(
        self, search_stack: SearchStack
    ) -> None:
        """R6: an authorized purpose this agency's policy does not allow is refused 403 like a
        prohibited one (R7), and the attempt is on the ledger; the other agency allows it."""
        two_agencies(search_stack)
        sj, hw = officer(search_stack, SAN_JOSE), officer(search_stack, HAYWARD)
        body = query(purpose="criminal_investigation", case_number="26-123456")
        resp = await search_stack.client.post("/v1/searches", json=body, headers=sj)
        assert resp.status_code == 403, resp.text
        assert problem(resp)["type"] == "urn:alpr:problem:purpose-prohibited"
        assert "criminal_investigation" in problem(resp)["detail"]
        [refused] = await refusals(search_stack, SAN_JOSE)
        assert refused["purpose"] == "criminal_investigation"
        assert refused["outcome_reason"] == "purpose-prohibited"
        assert refused["case_number"] == "26-123456"
        ok = query(purpose="criminal_investigation", case_number="HPD000001")
        assert (await search_stack.client.post("/v1/searches", json=ok, headers=hw)).status_code == 200
        # A single detection's view follows the same rules, refusal recorded too.
        view = await search_stack.client.get(
            f"/v1/detections/{uuid.uuid4()}",
            params={"purpose": "criminal_investigation", "case_number": "26-123456"},
            headers=sj,
        )
        assert view.status_code == 403
        [viewed] = await refusals(search_stack, SAN_JOSE, "detection.viewed")
        assert viewed["outcome_reason"] == "purpose-prohibited"

    async def test_a_hold_by_search_follows_the_agencys_window_R8(self, search_stack: SearchStack) -> None:
        two_agencies(search_stack)
        supervisor = bearer(search_stack.infra.mint(sub="sup-sj", roles=["supervisor"], agency=SAN_JOSE))
        q = query(days=60)
        body = {
            "case_number": "26-123456",
            "reason": "canvass",
            "search": {"purpose": q["purpose"], "from": q["from"], "to": q["to"], "plate": "7ABC123"},
        }
        resp = await search_stack.client.post("/v1/holds", json=body, headers=supervisor)
        assert resp.status_code == 422, resp.text
        assert "at most 30 days" in problem(resp)["detail"]


class TestDefaults:
    def test_the_settings_defaults_are_the_policys_strictest(self) -> None:
        """An agency without a policy of its own gets the same rules from search's settings as
        the policy's strictest defaults: searches that worked before issue 17 still do."""
        strictest = SearchPolicy()
        for name in ("case_number_pattern", "case_number_required", "max_search_days"):
            assert Settings.model_fields[name].default == getattr(strictest, name), name
        assert set(strictest.allowed_purposes) == set(AuthorizedPurpose)

    async def test_settings_are_the_rules_of_an_agency_without_a_policy(
        self, search_stack: SearchStack
    ) -> None:
        """``SEARCH_MAX_SEARCH_DAYS`` and ``SEARCH_CASE_NUMBER_*`` are the defaults only: they rule
        an agency at version 0, never one with a policy of its own."""
        two_agencies(search_stack)
        settings = search_stack.settings.model_copy(
            update={"max_search_days": 10, "case_number_pattern": r"^X[0-9]+$"}
        )
        sj, none = officer(search_stack, SAN_JOSE), officer(search_stack, NEVER_READ)
        async with serve(create_app(settings)) as client:
            resp = await client.post("/v1/searches", json=query(days=11, case_number="X1"), headers=none)
            assert "at most 10 days" in problem(resp)["detail"]
            resp = await client.post("/v1/searches", json=query(days=9, case_number="X1"), headers=none)
            assert resp.status_code == 200, resp.text
            resp = await client.post("/v1/searches", json=query(days=29, case_number="26-123456"), headers=sj)
            assert resp.status_code == 200, resp.text


class TestSharingDown:
    async def test_last_known_version_applies_then_defaults_for_an_agency_never_read(
        self, search_stack: SearchStack
    ) -> None:
        """Issue 17: while sharing cannot be reached the last version read still applies (here
        long after its 30 s); an agency never read gets the defaults, the strictest; a change in
        force reaches search within its cache time."""
        clock = Clock()
        ctx = search_stack.app.state.search
        ctx.policies = AgencyPolicyClient(search_stack.app.state.clients.sharing, clock=clock)
        two_agencies(search_stack)
        sj, never = officer(search_stack, SAN_JOSE), officer(search_stack, NEVER_READ)
        run = runner(search_stack)
        assert (await run(sj, case_number="26-123456")).status_code == 200

        # A tighter version is in force at sharing: applied once the cached one is 30 s old.
        search_stack.sharing.policies[SAN_JOSE] = AgencyPolicy(
            search=SearchPolicy(case_number_pattern=SJ_PATTERN, max_search_days=14)
        )
        search_stack.sharing.versions[SAN_JOSE] = 2
        twenty = {"days": 20, "case_number": "26-123456"}
        assert (await run(sj, **twenty)).status_code == 200  # cached
        clock.now = 31.0
        assert (await run(sj, **twenty)).status_code == 422

        search_stack.sharing.down = True
        clock.now = 1000.0
        calls = search_stack.sharing.calls
        resp = await run(sj, **twenty)
        assert resp.status_code == 422  # version 2 still
        assert "at most 14 days" in problem(resp)["detail"]
        assert search_stack.sharing.calls > calls  # it did ask
        resp = await run(sj, days=10, case_number="2026-001234")
        assert problem(resp)["errors"] == [{"loc": ["case_number"], "msg": f"must match {SJ_PATTERN}"}]
        assert (await run(sj, days=10, case_number="26-123456")).status_code == 200

        # Never read: the defaults (the default pattern, 90 days, every authorized purpose).
        resp = await run(never, case_number="HPD123456")
        assert problem(resp)["errors"] == [
            {"loc": ["case_number"], "msg": "must match ^[0-9]{2,4}-[0-9]{3,10}$"}
        ]
        resp = await run(never, days=91, case_number="2026-001234")
        assert "at most 90 days" in problem(resp)["detail"]
        body = {"days": 90, "case_number": "2026-001234", "purpose": "criminal_investigation"}
        assert (await run(never, **body)).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
