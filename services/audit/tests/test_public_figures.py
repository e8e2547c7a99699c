"""Audit's figures for an agency's public page (issue 17, item 5; R23, R32): allowed searches per
month (UTC) and purpose over the last twelve months, and when the last sample audit was completed
(R21, R35), to a service token only, as counts and a date: never a plate, a person or a place."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from audit_support import Ledger

from alpr_audit.figures.service import months_back
from alpr_common import AuditFigures
from alpr_devstack.testing import Infra, bearer, problem

HOST = "CA0019400"
OTHER = "CA0010900"
PLATE = "7ABC123"


def _month_ago(now: datetime, months: int) -> datetime:
    """The 15th at noon (UTC) of the month ``months`` before ``now``'s."""
    index = now.year * 12 + now.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=UTC)


def test_months_back_counts_calendar_months_across_a_year() -> None:
    assert months_back(datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC), 3) == ["2025-12", "2026-01", "2026-02"]
    months = months_back(datetime(2026, 12, 31, 23, 59, tzinfo=UTC), 12)
    assert months[0] == "2026-01"
    assert months[-1] == "2026-12"
    assert len(months) == 12


class TestPublicFigures:
    async def test_searches_per_month_by_purpose_and_the_last_complete_audit(self, ledger: Ledger) -> None:
        now = datetime.now(UTC) - timedelta(seconds=1)
        counted = [
            *(ledger.event(purpose="stolen_vehicle", occurred_at=now.isoformat()) for _ in range(8)),
            *(ledger.event(purpose="amber_alert", occurred_at=now.isoformat()) for _ in range(2)),
            ledger.event(purpose="stolen_vehicle", occurred_at=_month_ago(now, 2).isoformat()),
            ledger.event(purpose="criminal_investigation", occurred_at=_month_ago(now, 11).isoformat()),
        ]
        left_out = [
            ledger.event(purpose="stolen_vehicle", occurred_at=_month_ago(now, 12).isoformat()),  # too old
            ledger.event(outcome="refused", purpose="immigration_enforcement"),  # refused, not a search run
            ledger.event(action="detection.viewed"),  # a view, not a search
            ledger.event(actor={"sub": "x", "name": "X", "agency": OTHER, "roles": ["investigator"]}),
        ]
        resp = await ledger.client.post(
            "/v1/events", json={"events": counted + left_out}, headers=ledger.service
        )
        assert resp.status_code == 201, resp.text

        got = await ledger.client.get("/v1/public-figures", params={"agency": HOST}, headers=ledger.service)
        assert got.status_code == 200, got.text
        figures = AuditFigures.model_validate(got.json())
        assert figures.agency == HOST
        assert figures.months == months_back(datetime.now(UTC), 12)
        assert len(figures.months) == 12
        expected = Counter((e["occurred_at"][:7], e["purpose"]) for e in counted)
        assert {(r.month, r.purpose): r.searches for r in figures.searches_by_month} == dict(expected)
        assert figures.last_audit_completed_at is None  # none made yet
        for secret in (PLATE, "inv-7", "Ivan Investigator", "2026-001234"):
            assert secret not in got.text, secret

        # An audit only made (every item still without a finding) is not a completed audit.
        created = await ledger.client.post("/v1/audits", json={"size": 10}, headers=ledger.auditor)
        assert created.status_code == 201, created.text
        audit_id = created.json()["id"]
        sequences = [i["sequence"] for i in created.json()["items"]]
        for seq in sequences[:-1]:
            done = await ledger.client.post(
                f"/v1/audits/{audit_id}/findings",
                headers=ledger.auditor,
                json={"sequence": seq, "finding": "compliant"},
            )
            assert done.status_code == 200, done.text
        still = await ledger.client.get("/v1/public-figures", params={"agency": HOST}, headers=ledger.service)
        assert still.json()["last_audit_completed_at"] is None

        last = await ledger.client.post(
            f"/v1/audits/{audit_id}/findings",
            headers=ledger.auditor,
            json={"sequence": sequences[-1], "finding": "non_compliant", "note": "no case file"},
        )
        assert last.status_code == 200, last.text
        complete = (await ledger.client.get(f"/v1/audits/{audit_id}", headers=ledger.auditor)).json()
        assert complete["status"] == "complete"
        after = await ledger.client.get("/v1/public-figures", params={"agency": HOST}, headers=ledger.service)
        completed_at = AuditFigures.model_validate(after.json()).last_audit_completed_at
        assert completed_at == datetime.fromisoformat(complete["completed_at"])

        # Another agency's figures are its own: nothing of this one's.
        other = await ledger.client.get(
            "/v1/public-figures", params={"agency": OTHER}, headers=ledger.service
        )
        other_figures = AuditFigures.model_validate(other.json())
        assert [(r.purpose, r.searches) for r in other_figures.searches_by_month] == [("stolen_vehicle", 1)]
        assert other_figures.last_audit_completed_at is None

    async def test_months_are_bounded(self, ledger: Ledger) -> None:
        now = datetime.now(UTC) - timedelta(seconds=1)
        old = ledger.event(purpose="stolen_vehicle", occurred_at=_month_ago(now, 2).isoformat())
        assert (
            await ledger.client.post("/v1/events", json={"events": [old]}, headers=ledger.service)
        ).is_success
        one = await ledger.client.get(
            "/v1/public-figures", params={"agency": HOST, "months": 1}, headers=ledger.service
        )
        assert one.json()["months"] == months_back(datetime.now(UTC), 1)
        assert one.json()["searches_by_month"] == []
        three = await ledger.client.get(
            "/v1/public-figures", params={"agency": HOST, "months": 3}, headers=ledger.service
        )
        assert [r["searches"] for r in three.json()["searches_by_month"]] == [1]
        bad_params: list[dict[str, str | int]] = [
            {"agency": HOST, "months": 0},
            {"agency": HOST, "months": 25},
            {"agency": "not-an-ori"},
        ]
        for bad in bad_params:
            resp = await ledger.client.get("/v1/public-figures", params=bad, headers=ledger.service)
            assert resp.status_code == 422, bad
            assert problem(resp)["type"] == "urn:alpr:problem:validation"

    async def test_a_service_token_only(self, ledger: Ledger, infra: Infra) -> None:
        """Machine route (sharing's public page calls it): a person, even the agency's own
        auditor or administrator, is refused; no token is 401."""
        params = {"agency": HOST}
        assert (await ledger.client.get("/v1/public-figures", params=params)).status_code == 401
        assert (
            await ledger.client.get("/v1/public-figures", params=params, headers=ledger.auditor)
        ).status_code == 403
        admin = bearer(infra.mint(sub="adm-1", roles=["alpr_admin"]))
        assert (
            await ledger.client.get("/v1/public-figures", params=params, headers=admin)
        ).status_code == 403
