"""What the search service's requests share: settings, object store, service clients, the
ledger outbox and the agencies' policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from minio import Minio

from alpr_common import AgencyPolicyClient, LedgerOutbox, MisreadCounter, ServiceClients, state_of

from .settings import Settings
from .telemetry import SearchMetrics


@dataclass
class SearchContext:
    settings: Settings
    store: Minio
    clients: ServiceClients
    corrections: MisreadCounter
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)
    # Each agency's policy in force, read from sharing (issue 17): its case-number pattern, whether
    # a case number is required, its longest search window and the purposes it allows (R5-R8).
    policies: AgencyPolicyClient
    metrics: SearchMetrics = field(default_factory=SearchMetrics)

    def presign(self, key: str | None) -> str | None:
        """A short-lived URL for an object (computed locally: no call to the store)."""
        if not key:
            return None
        url: str = self.store.presigned_get_object(
            self.settings.s3_bucket, key, expires=timedelta(seconds=self.settings.presign_seconds)
        )
        return url


get_context = state_of("search", SearchContext)


Ctx = Annotated[SearchContext, Depends(get_context)]
