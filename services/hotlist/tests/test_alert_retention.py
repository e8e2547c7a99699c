"""Alert and hit retention by each agency's policy (R14, issue 17): closed alerts go after the
policy's `alert_days`, confirmed hits after its `hit_days` (null: kept indefinitely), the setting
is the period of an agency without a policy, a policy never read purges no more than the
strictest default, and search's purge is told which crops the kept hits keep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hotlist_support import AGENCY, HotlistStack, read, run_cli

from alpr_common import AgencyPolicy, RetentionPolicy
from alpr_devstack.testing import FakeSharing, Infra, serve_fake_sharing

OTHER = "CA0010900"
THIRD = "CA0020000"


@pytest.fixture
async def sharing(infra: Infra) -> AsyncIterator[FakeSharing]:
    async with serve_fake_sharing(infra) as fake:
        yield fake


def _retention(alert_days: int, hit_days: int | None, keep_crop: bool = False) -> AgencyPolicy:
    return AgencyPolicy(
        retention=RetentionPolicy(
            floor_days=90,
            ceiling_days=1825,
            detection_days=365,
            alert_days=alert_days,
            hit_days=hit_days,
            hits_keep_crop=keep_crop,
        )
    )


async def _alerts(stack: HotlistStack, *specs: tuple[str, str, str, int]) -> dict[str, str]:
    """One alert per (plate, agency, state, days old), its state and age set in the database."""
    hotlist_id = await stack.hotlist()
    for plate, *_ in specs:
        await stack.entry(hotlist_id, plate)
    resp = await stack.match(*(read(plate) for plate, *_ in specs))
    assert resp.status_code == 200, resp.text
    ids = {a["plate"]: a["id"] for a in await stack.alerts()}
    assert set(ids) == {plate for plate, *_ in specs}
    disposition = {"confirmed": "arrest", "not_active": "no_action", "misread": "misread"}
    for plate, agency, state, days in specs:
        await stack.sql(
            "UPDATE hotlist.alerts SET agency = :agency, state = :state, disposition = :disposition, "
            "created_at = now() - make_interval(days => :days) WHERE id = CAST(:id AS uuid)",
            agency=agency,
            state=state,
            disposition=disposition.get(state),
            days=days,
            id=ids[plate],
        )
    return ids


async def _left(stack: HotlistStack) -> list[str]:
    return sorted(r[0] for r in await stack.sql("SELECT plate FROM hotlist.alerts"))


async def _purge(stack: HotlistStack, sharing: FakeSharing, days: str) -> tuple[str, str]:
    code, out, err = await run_cli(
        stack.cli_env(SHARING_URL=sharing.url, HOTLIST_ALERT_RETENTION_DAYS=days), "hotlist", "purge-alerts"
    )
    assert code == 0, err
    return out, err


async def test_alerts_and_hits_go_by_each_agency_s_policy_R14(
    stack: HotlistStack, sharing: FakeSharing
) -> None:
    """R14, issue 17: each agency's own alert and hit periods; null hit days keep hits
    indefinitely (Hayward); an agency without a policy takes the setting; open alerts stay."""
    sharing.policies = {AGENCY: _retention(30, None), OTHER: _retention(400, 100)}
    sharing.versions = {AGENCY: 4, OTHER: 4}
    await _alerts(
        stack,
        ("1MIS060", AGENCY, "misread", 60),  # past 30 days: goes
        ("1HIT999", AGENCY, "confirmed", 1000),  # hits kept indefinitely: stays
        ("1OPN999", AGENCY, "alert", 1000),  # open: never purged
        ("2MIS300", OTHER, "misread", 300),  # within 400 days: stays
        ("2HIT150", OTHER, "confirmed", 150),  # past 100 days: goes
        ("3NAC250", THIRD, "not_active", 250),  # no policy: the setting's 200 days: goes
        ("3HIT150", THIRD, "confirmed", 150),  # within the setting's 200 days: stays
    )
    out, _ = await _purge(stack, sharing, "200")
    assert "removed 2 closed alerts and 1 confirmed hits" in out
    assert "hits kept indefinitely" in out
    assert await _left(stack) == ["1HIT999", "1OPN999", "2MIS300", "3HIT150"]
    [event] = await stack.audit_events(action="retention.purged")  # this agency's only
    assert event["agency"] == AGENCY
    data = event["data"]
    assert (data["alerts"], data["hits"], data["alert_days"], data["hit_days"]) == (1, 0, 30, None)
    assert (data["policy_version"], data["retention_source"]) == (4, "policy")
    assert data["hits_created_before"] is None


async def test_a_policy_never_read_purges_no_more_than_the_strictest_default(
    stack: HotlistStack, sharing: FakeSharing
) -> None:
    """Issue 17: sharing unreachable and the policy never read: alerts and hits are kept at least
    the strictest default's year, however short the setting (a purge cannot be undone)."""
    sharing.down = True
    await _alerts(stack, ("1MIS100", AGENCY, "misread", 100), ("1HIT400", AGENCY, "confirmed", 400))
    out, _ = await _purge(stack, sharing, "30")
    assert "removed 0 closed alerts and 1 confirmed hits" in out
    assert "strictest" in out
    assert await _left(stack) == ["1MIS100"]
    # Once sharing answers (no policy of its own), the setting applies.
    sharing.down = False
    out, _ = await _purge(stack, sharing, "30")
    assert "removed 1 closed alerts" in out
    assert await _left(stack) == []


async def test_search_is_told_the_crops_of_the_hits_kept_R14(stack: HotlistStack) -> None:
    """R14, issue 17: the crop keys of the agency's confirmed hits (not of other alerts, nor of
    another agency's hits), for the service only; a purged hit's crop is no longer named."""
    await _alerts(
        stack,
        ("1HIT010", AGENCY, "confirmed", 10),
        ("1MIS010", AGENCY, "misread", 10),
        ("2HIT010", OTHER, "confirmed", 10),
    )
    crops = {
        r[0]: r[1]
        for r in await stack.sql("SELECT plate, crop_key FROM hotlist.alerts WHERE crop_key IS NOT NULL")
    }
    operator = await stack.client.get(
        "/v1/hits:crops", params={"agency": AGENCY}, headers=stack.as_("op-1", "operator")
    )
    assert operator.status_code == 403
    bad = await stack.client.get("/v1/hits:crops", params={"agency": "no such"}, headers=stack.service)
    assert bad.status_code == 422
    resp = await stack.client.get("/v1/hits:crops", params={"agency": AGENCY}, headers=stack.service)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body == {"agency": AGENCY, "keys": [crops["1HIT010"]]}
    await stack.sql("DELETE FROM hotlist.alerts WHERE plate = '1HIT010'")  # as the hit purge does
    resp = await stack.client.get("/v1/hits:crops", params={"agency": AGENCY}, headers=stack.service)
    assert resp.json()["keys"] == []
