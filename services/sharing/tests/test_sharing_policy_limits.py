"""The host agency's sharing limits in force (issue 17, item 2): a release never carries more than
its policy's ``sharing.max_results`` detections (nor its MOU's, R28), and says so when it is cut
there; an exigent request to an agency whose policy takes none is refused at filing (R25), kept
on file and on the ledger with its reason like every other refusal."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from sharing_support import DAY, SharingStack

from alpr_devstack.testing import problem
from alpr_sharing.releases.service import release_cap

PARTNER = "CA0010700"
PLATE = "7LIM123"
POLL_S = 10.0


async def _events(stack: SharingStack, count: int, **params: str) -> list[dict[str, Any]]:
    """The ledger's events matching ``params``, polled until ``count`` are there (a change's
    event reaches the ledger through the service's outbox)."""
    deadline = time.monotonic() + POLL_S
    while True:
        items = await stack.audit_events(**params)
        if len(items) >= count or time.monotonic() > deadline:
            return items
        await asyncio.sleep(0.1)  # polling interval


async def _approved(stack: SharingStack, partner: dict[str, str], **extra: Any) -> str:
    filed = await stack.file(partner, plate=PLATE, **extra)
    assert filed.status_code == 201, filed.text
    request_id = str(filed.json()["id"])
    decided = await stack.client.post(
        f"/v1/requests/{request_id}/decision", json={"decision": "approve"}, headers=stack.commander
    )
    assert decided.status_code == 200, decided.text
    return request_id


def test_the_smaller_of_the_mous_and_the_policys_limit() -> None:
    assert release_cap(100, 2) == 2
    assert release_cap(1, 200) == 1
    assert release_cap(5, 5) == 5


class TestMaxResults:
    async def test_a_release_is_cut_at_the_host_policys_max_results(self, stack: SharingStack) -> None:
        """Issue 17: the MOU allows 100, the host's policy 2; three detections match. The
        release carries two, no cursor for more, and says it was capped, on the answer and on
        the ledger's `sharing.released` event. Once the policy allows more (a loosening a
        commander approves), the same scope is released whole and not capped."""
        await stack.agency(PARTNER, "partner-lim")
        await stack.mou(PARTNER, max_results=100)
        now = datetime.now(UTC)
        await stack.detections((PLATE, now - 1 * DAY), (PLATE, now - 2 * DAY), (PLATE, now - 3 * DAY))
        await stack.adopt({"sharing": {"max_results": 2}})  # tighter than the default 100: no approval
        partner = stack.partner("partner-lim", PARTNER)
        request_id = await _approved(stack, partner)

        got = await stack.client.get(f"/v1/requests/{request_id}/results", headers=partner)
        assert got.status_code == 200, got.text
        body = got.json()
        assert len(body["items"]) == 2
        assert body["next_cursor"] is None
        assert body["max_results"] == 2
        assert body["capped"] is True
        [released] = await _events(stack, 1, action="sharing.released")
        assert released["data"]["count"] == 2
        assert released["data"]["max_results"] == 2
        assert released["data"]["capped"] is True
        filed = (await stack.client.get(f"/v1/requests/{request_id}", headers=partner)).json()
        assert filed["released_count"] == 2

        await stack.adopt({"sharing": {"max_results": 5}})  # looser: a commander approved it
        second = await _approved(stack, partner)
        whole = (await stack.client.get(f"/v1/requests/{second}/results", headers=partner)).json()
        assert len(whole["items"]) == 3
        assert whole["max_results"] == 5
        assert whole["capped"] is False
        events = await _events(stack, 2, action="sharing.released")
        latest = next(e for e in events if e["data"]["request_id"] == second)
        assert (latest["data"]["count"], latest["data"]["capped"]) == (3, False)

    async def test_the_mous_limit_still_binds_below_the_policys(self, stack: SharingStack) -> None:
        """R28: the MOU's `max_results` binds too; the smaller of the two is the release's."""
        await stack.agency(PARTNER, "partner-lim")
        await stack.mou(PARTNER, max_results=1)
        now = datetime.now(UTC)
        await stack.detections((PLATE, now - 1 * DAY), (PLATE, now - 2 * DAY))
        partner = stack.partner("partner-lim", PARTNER)
        request_id = await _approved(stack, partner)
        body = (await stack.client.get(f"/v1/requests/{request_id}/results", headers=partner)).json()
        assert len(body["items"]) == 1
        assert (body["max_results"], body["capped"]) == (1, True)


class TestExigent:
    async def test_refused_unless_the_host_policy_accepts_them_r25(self, stack: SharingStack) -> None:
        """The strictest default takes no exigent request: it is refused at once with a 403
        problem naming the reason, kept on file as refused and recorded on the ledger as a
        refused `sharing.requested`. A regular request of the same partner is filed. Once the
        host's policy accepts exigent requests, the same request is filed, pending a decision."""
        await stack.agency(PARTNER, "partner-ex")
        await stack.mou(PARTNER)
        partner = stack.partner("partner-ex", PARTNER)
        urgent = {"exigent": True, "justification": "child abduction in progress"}

        refused = await stack.file(partner, plate=PLATE, **urgent)
        assert refused.status_code == 403, refused.text
        doc = problem(refused)
        assert doc["type"] == "urn:alpr:problem:request-refused"
        assert doc["reason"] == "exigent_not_accepted"
        assert "exigent" in doc["detail"]
        kept = await stack.client.get(f"/v1/requests/{doc['sharing_request_id']}", headers=stack.commander)
        assert kept.status_code == 200, kept.text
        assert (kept.json()["status"], kept.json()["refusal_reason"]) == ("refused", "exigent_not_accepted")
        assert kept.json()["exigent"] is True
        [event] = await _events(stack, 1, action="sharing.requested")
        assert event["outcome"] == "refused"
        assert event["outcome_reason"] == "exigent_not_accepted"
        assert event["targets"] == [doc["sharing_request_id"]]
        assert event["data"]["exigent"] is True

        regular = await stack.file(partner, plate=PLATE)
        assert regular.status_code == 201, regular.text

        await stack.adopt({"sharing": {"exigent_accepted": True}})  # a loosening: a commander approved
        accepted = await stack.file(partner, plate=PLATE, **urgent)
        assert accepted.status_code == 201, accepted.text
        assert (accepted.json()["status"], accepted.json()["exigent"]) == ("pending", True)
        supervisor = stack.as_("sup-1", "supervisor")
        decided = await stack.client.post(
            f"/v1/requests/{accepted.json()['id']}/decision", json={"decision": "approve"}, headers=supervisor
        )
        assert decided.status_code == 200, decided.text  # R25: a supervisor decides an exigent one
