"""What the hotlist service's requests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends
from minio import Minio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from alpr_common import (
    AgencyPolicyClient,
    LedgerOutbox,
    MisreadCounter,
    OutboundClient,
    ServiceClients,
    presigned_url,
    state_of,
)

from .alerts.feed import AlertFeed
from .settings import Settings
from .telemetry import HotlistMetrics


@dataclass
class HotlistContext:
    settings: Settings
    store: Minio
    clients: ServiceClients
    http: httpx.AsyncClient
    # URLs given through the API (feeds, token endpoints, webhooks): issue 19's policy.
    outbound: OutboundClient
    feed: AlertFeed
    sessions: async_sessionmaker[AsyncSession]
    misreads: MisreadCounter
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)
    metrics: HotlistMetrics
    # Each agency's policy in force, read from sharing (issue 17): its alert and hit retention
    # and whether hits keep their crop (R14).
    policies: AgencyPolicyClient

    def presign(self, key: str | None) -> str | None:
        """A short-lived URL for a crop (computed locally: no call to the store)."""
        return presigned_url(self.store, self.settings.s3_bucket, key, self.settings.presign_seconds)


get_context = state_of("hotlist", HotlistContext)


Ctx = Annotated[HotlistContext, Depends(get_context)]
