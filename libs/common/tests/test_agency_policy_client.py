"""``AgencyPolicyClient`` while sharing cannot be reached: an agency never read gets the strictest
defaults, and sharing is asked again after ``retry_seconds``, not on every request (each ask
pays the client's retries: 0.3 s added to every search while sharing was down, issue 16)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alpr_common import AgencyPolicy, AgencyPolicyClient, AgencyPolicyVersion, PolicyStatus, Unavailable


class _Sharing:
    def __init__(self) -> None:
        self.calls = 0
        self.down = True

    async def agency_policy(self, agency: str, at: datetime | None = None) -> AgencyPolicyVersion:
        self.calls += 1
        if self.down:
            raise Unavailable("The sharing service is unavailable.")
        return AgencyPolicyVersion(
            agency=agency, version=3, status=PolicyStatus.DEFAULT, policy=AgencyPolicy()
        )


async def test_an_agency_never_read_is_asked_for_again_after_the_retry_time() -> None:
    sharing = _Sharing()
    now = [0.0]
    sharing_client: Any = sharing
    policies = AgencyPolicyClient(sharing_client, retry_seconds=5.0, clock=lambda: now[0])
    first = await policies.version("CA0019400")
    assert (first.version, first.status, first.policy) == (0, PolicyStatus.DEFAULT, AgencyPolicy())
    assert (await policies.version("CA0019400")) == first
    assert sharing.calls == 1  # not asked again within the retry time
    now[0] = 5.5
    assert (await policies.version("CA0019400")).version == 0
    assert sharing.calls == 2
    sharing.down = False
    assert (await policies.version("CA0019400")).version == 0  # still within the retry time
    now[0] = 11.0
    assert (await policies.version("CA0019400")).version == 3  # read once sharing answers
    assert sharing.calls == 3
