"""Audits on schedule (issue 17, item 4; R21, R35): each agency's next sample audit is created at
its policy's cadence with its sample size, once per period; ``GET /v1/audits?status=overdue``;
who may audit follows the agency's policy (R21 separation of duties, or San Leandro's ALPR
administrator)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import pytest
from audit_support import EventFactory, Owner, serving_owner
from fastapi import APIRouter, Depends

from alpr_audit.app import create_app
from alpr_audit.audits.schedule import Period, period_for, schedule_agency
from alpr_audit.settings import Settings
from alpr_common import (
    AgencyPolicy,
    AgencyPolicyVersion,
    AuditCadence,
    AuditPolicy,
    NotFound,
    PolicyStatus,
    Principal,
    RetainedBeyond,
    Role,
    SearchStats,
    make_engine,
    require_roles,
)
from alpr_common import Auditor as PolicyAuditor
from alpr_devstack.alpr_command import run_alpr_async
from alpr_devstack.testing import Infra, bearer, problem, serve

SAN_LEANDRO = "CA0019400"
OTHER = "CA0010900"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class FakeSharing(Owner):
    """Sharing as far as agency policies go (issue 17): ``policies`` is what it serves; an agency
    not in it is a 404, so the client takes the strictest defaults."""

    policies: dict[str, AgencyPolicy] = field(default_factory=dict)


@pytest.fixture
async def fake_sharing(infra: Infra) -> AsyncIterator[FakeSharing]:
    policies: dict[str, AgencyPolicy] = {}
    router = APIRouter()

    @router.get("/v1/agencies/{ori}/policy")
    async def agency_policy(
        ori: str, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
    ) -> AgencyPolicyVersion:
        if ori not in policies:
            raise NotFound()
        return AgencyPolicyVersion(agency=ori, version=1, status=PolicyStatus.IN_FORCE, policy=policies[ori])

    async with serving_owner(infra, router, "svc-audit-policies", service="sharing") as owner:
        yield FakeSharing(owner.url, owner.client_id, owner.client_secret, policies)


@pytest.fixture
async def audit_with_policies(
    audit_settings: Settings, fake_sharing: FakeSharing
) -> AsyncIterator[httpx.AsyncClient]:
    """The audit service reading agency policies from ``fake_sharing``."""
    async with serve(create_app(fake_sharing.settings_for(audit_settings, "sharing_url"))) as client:
        yield client


class TestCadence:
    @pytest.mark.parametrize(
        ("cadence", "now", "start", "end"),
        [
            (AuditCadence.QUARTERLY, "2026-12-03", "2026-10-01", "2027-01-01"),
            (AuditCadence.QUARTERLY, "2027-01-01", "2027-01-01", "2027-04-01"),
            (AuditCadence.SEMI_ANNUAL, "2026-06-30T23:59:59", "2026-01-01", "2026-07-01"),
            (AuditCadence.SEMI_ANNUAL, "2026-07-01", "2026-07-01", "2027-01-01"),
            (AuditCadence.ANNUAL, "2026-12-03", "2026-01-01", "2027-01-01"),
        ],
    )
    def test_calendar_periods_R35(self, cadence: AuditCadence, now: str, start: str, end: str) -> None:
        """R35: San Leandro quarterly, Vallejo at least yearly; calendar periods in UTC, due at the end."""
        assert period_for(cadence, _at(now)) == Period(_at(start), _at(end))

    def test_six_monthly_for_two_years_then_annual_R35(self) -> None:
        """R35, Alameda 462.3(b)5: every 6 months for two years from the first audit, then yearly."""
        cadence = AuditCadence.SEMI_ANNUAL_TWO_YEARS_THEN_ANNUAL
        first = _at("2026-08-20")  # its half-year starts 2026-07-01; the two years end 2028-07-01
        expected = {
            "2026-08-20": ("2026-07-01", "2027-01-01"),
            "2027-03-01": ("2027-01-01", "2027-07-01"),
            "2028-06-30": ("2028-01-01", "2028-07-01"),
            "2028-07-01": ("2028-07-01", "2029-07-01"),
            "2029-06-30": ("2028-07-01", "2029-07-01"),
            "2031-01-15": ("2030-07-01", "2031-07-01"),
        }
        for now, (start, end) in expected.items():
            assert period_for(cadence, _at(now), first) == Period(_at(start), _at(end)), now
        # An agency never audited starts its two years now.
        assert period_for(cadence, _at("2026-12-03"), None) == Period(_at("2026-07-01"), _at("2027-01-01"))


async def _seed(
    audit: httpx.AsyncClient, headers: dict[str, str], event: EventFactory, days_ago: int
) -> None:
    """15 browsing accesses of each agency around ``days_ago``."""
    events = [
        event(
            actor={"sub": f"inv-{ori}", "name": "Ivan", "agency": ori, "roles": ["investigator"]},
            case_number=f"2026-{i:06d}",
            occurred_at=_ago(days_ago + i),
        )
        for ori in (SAN_LEANDRO, OTHER)
        for i in range(15)
    ]
    resp = await audit.post("/v1/events", json={"events": events}, headers=headers)
    assert resp.status_code == 201, resp.text


async def _alpr(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = await run_alpr_async("audit", *args, env={**os.environ, **env})
    return done.returncode, done.stdout, done.stderr


class TestScheduleCommand:
    async def test_each_agency_gets_its_due_audit_once_R21_R35(
        self,
        audit_with_policies: httpx.AsyncClient,
        fake_sharing: FakeSharing,
        audit_db: str,
        infra: Infra,
        service_headers: dict[str, str],
        event: EventFactory,
    ) -> None:
        """R21, R35: `alpr audit schedule` (the CronJob) creates each agency's audit of the current
        period with its policy's sample size; a second run creates nothing. An agency whose policy
        sharing does not know gets the strictest defaults (quarterly, ten)."""
        fake_sharing.policies[SAN_LEANDRO] = AgencyPolicy(
            audits=AuditPolicy(cadence=AuditCadence.ANNUAL, sample_size=12)
        )
        await _seed(audit_with_policies, service_headers, event, 1)
        # A partner agency on the ledger that never browsed here (it files requests): no audit.
        partner = {"sub": "p-1", "name": "Partner", "agency": "NV0020000", "roles": ["partner"]}
        filed = event(action="sharing.requested", actor=partner, data={})
        assert (await audit_with_policies.post("/v1/events", json=filed, headers=service_headers)).is_success
        env = {
            "DATABASE_URL": audit_db,
            "SHARING_URL": fake_sharing.url,
            "OIDC_ISSUER": infra.issuer_url,
            "AUDIT_CLIENT_ID": fake_sharing.client_id,
            "AUDIT_CLIENT_SECRET": fake_sharing.client_secret,
        }
        code, out, err = await _alpr(env, "schedule")
        assert code == 0, err
        assert "2 audits created" in out
        code, out, err = await _alpr(env, "schedule")
        assert code == 0, err
        assert "0 audits created" in out

        now = datetime.now(UTC)
        for ori, cadence, size in ((SAN_LEANDRO, "annual", 12), (OTHER, "quarterly", 10)):
            auditor = bearer(infra.mint(sub=f"aud-{ori}", agency=ori, roles=["auditor"]))
            listed = (await audit_with_policies.get("/v1/audits", headers=auditor)).json()["items"]
            assert len(listed) == 1, ori
            made = listed[0]
            period = period_for(AuditCadence(cadence), now)
            assert made["cadence"] == cadence
            assert made["requested"] == size
            assert len(made["items"]) == size
            assert datetime.fromisoformat(made["period_start"]) == period.start
            assert datetime.fromisoformat(made["due_at"]) == period.end
            assert made["created_by"]["name"] == "audit scheduler"
            assert made["overdue"] is False
            created = (
                await audit_with_policies.get(
                    "/v1/events", params={"action": "audit.created"}, headers=auditor
                )
            ).json()["items"]
            assert [e["targets"] for e in created] == [[made["id"]]]
            assert created[0]["data"]["scheduled"] is True

    async def test_concurrent_schedulers_make_one_audit_R35(
        self,
        audit: httpx.AsyncClient,
        audit_settings: Settings,
        service_headers: dict[str, str],
        event: EventFactory,
    ) -> None:
        """Two schedulers at once (a CronJob retried while the first still runs): one audit."""
        await _seed(audit, service_headers, event, 1)
        engine = make_engine(
            audit_settings.database_url, application_name="alpr-audit-test", role=audit_settings.database_role
        )
        now = datetime.now(UTC)
        policy = AgencyPolicy()

        async def one() -> object:
            async with engine.begin() as conn:
                return await schedule_agency(conn, SAN_LEANDRO, policy, now, 6, {"sub": "svc-audit"})

        try:
            results = await asyncio.gather(one(), one(), one())
        finally:
            await engine.dispose()
        assert sum(r is not None for r in results) == 1


class TestOverdue:
    async def test_status_filters_and_overdue_R35(
        self,
        audit: httpx.AsyncClient,
        audit_settings: Settings,
        auditor_headers: dict[str, str],
        service_headers: dict[str, str],
        event: EventFactory,
        infra: Infra,
    ) -> None:
        """R35: an audit scheduled for a past period and still open is overdue; one made by hand
        has no due date and never is."""
        await _seed(audit, service_headers, event, 250)
        engine = make_engine(
            audit_settings.database_url, application_name="alpr-audit-test", role=audit_settings.database_role
        )
        try:
            async with engine.begin() as conn:
                past = await schedule_agency(
                    conn,
                    SAN_LEANDRO,
                    AgencyPolicy(),
                    datetime.now(UTC) - timedelta(days=200),
                    6,
                    {"sub": "s"},
                )
        finally:
            await engine.dispose()
        assert past is not None
        assert past.drawn == 10
        by_hand = (await audit.post("/v1/audits", json={"size": 10}, headers=auditor_headers)).json()

        async def ids(status: str | None) -> list[str]:
            params = {"status": status} if status else {}
            resp = await audit.get("/v1/audits", params=params, headers=auditor_headers)
            assert resp.status_code == 200, resp.text
            return [a["id"] for a in resp.json()["items"]]

        overdue = await ids("overdue")
        assert overdue == [str(past.audit_id)]
        # The one made by hand drew from the last six months, where nothing was browsed: complete.
        assert by_hand["items"] == []
        assert by_hand["status"] == "complete"
        assert by_hand["overdue"] is False
        assert await ids("open") == [str(past.audit_id)]
        assert await ids("complete") == [by_hand["id"]]
        assert set(await ids(None)) == {str(past.audit_id), by_hand["id"]}
        shown = (await audit.get(f"/v1/audits/{past.audit_id}", headers=auditor_headers)).json()
        assert shown["overdue"] is True
        assert shown["status"] == "open"

        # Every finding recorded: complete, no longer overdue.
        for item in shown["items"]:
            resp = await audit.post(
                f"/v1/audits/{past.audit_id}/findings",
                headers=auditor_headers,
                json={"sequence": item["sequence"], "finding": "compliant"},
            )
            assert resp.status_code == 200, resp.text
        assert await ids("overdue") == []
        assert str(past.audit_id) in await ids("complete")
        bad = await audit.get("/v1/audits", params={"status": "late"}, headers=auditor_headers)
        assert bad.status_code == 422
        assert problem(bad)["type"] == "urn:alpr:problem:validation"

    async def test_a_page_of_audits_asks_search_once(
        self, audit_settings: Settings, auditor_headers: dict[str, str], infra: Infra
    ) -> None:
        """What search keeps past six months is the agency's, the same on every audit: a page of
        audits asks search for it once, not once per audit (with search down, a page of 50 waited
        out the client's retries 50 times)."""
        asked: list[str] = []
        router = APIRouter()

        @router.get("/v1/stats")
        async def stats(
            agency: str, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
        ) -> SearchStats:
            asked.append(agency)
            kept = RetainedBeyond(count=2, why="under legal hold (R17)")
            return SearchStats(
                agency=agency,
                detections_in_retention=5,
                retained_beyond_six_months=kept,
                corrections_by_source=[],
            )

        async with (
            serving_owner(infra, router, "svc-audit-stats", service="search") as search,
            serve(create_app(search.settings_for(audit_settings, "search_url"))) as audit,
        ):
            for _ in range(3):
                made = await audit.post("/v1/audits", json={"size": 10}, headers=auditor_headers)
                assert made.status_code == 201, made.text
            asked.clear()
            listed = await audit.get("/v1/audits", headers=auditor_headers)
            assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert len(items) == 3
        assert {item["retained_beyond_six_months"]["count"] for item in items} == {2}
        assert asked == [SAN_LEANDRO]


class TestWhoAudits:
    async def test_auditor_follows_the_agency_policy_R21_R35(
        self, audit_with_policies: httpx.AsyncClient, fake_sharing: FakeSharing, infra: Infra
    ) -> None:
        """R35: where the policy makes the ALPR administrator the auditor (San Leandro
        418.6(c)), the agency's alpr_admin audits; elsewhere (the strictest default, a separate
        unit, R21) an administrator may not, not even with the auditor role as well."""
        fake_sharing.policies[SAN_LEANDRO] = AgencyPolicy(
            audits=AuditPolicy(auditor=PolicyAuditor.ALPR_ADMINISTRATOR, cadence=AuditCadence.QUARTERLY)
        )
        fake_sharing.policies[OTHER] = AgencyPolicy(audits=AuditPolicy(auditor=PolicyAuditor.SEPARATE_UNIT))
        paths = ("/v1/audits", "/v1/events", "/v1/ledger/verify", "/v1/checkpoints")
        for roles in (["alpr_admin"], ["auditor", "alpr_admin"]):
            san_leandro = bearer(infra.mint(sub="adm-sl", agency=SAN_LEANDRO, roles=roles))
            separate = bearer(infra.mint(sub="adm-x", agency=OTHER, roles=roles))
            for path in paths:
                ok = await audit_with_policies.get(path, headers=san_leandro)
                assert ok.status_code == 200, (roles, path, ok.text)
                refused = await audit_with_policies.get(path, headers=separate)
                assert refused.status_code == 403, (roles, path)
                assert problem(refused)["type"] == "urn:alpr:problem:forbidden"
            made = await audit_with_policies.post("/v1/audits", json={"size": 10}, headers=san_leandro)
            assert made.status_code == 201, made.text
            assert made.json()["created_by"]["sub"] == "adm-sl"
        # Neither auditor nor administrator: refused whatever the policy.
        officer = bearer(infra.mint(agency=SAN_LEANDRO, roles=["investigator"]))
        assert (await audit_with_policies.get("/v1/audits", headers=officer)).status_code == 403
        assert (await audit_with_policies.get("/v1/audits")).status_code == 401
