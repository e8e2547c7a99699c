"""What the search service's requests share: settings, object store, service clients, the
ledger outbox and the agencies' policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends
from minio import Minio

from alpr_common import (
    Action,
    AgencyPolicyClient,
    LedgerOutbox,
    MisreadCounter,
    Principal,
    ServiceClients,
    audit_event,
    presigned_url,
    state_of,
)

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
        return presigned_url(self.store, self.settings.s3_bucket, key, self.settings.presign_seconds)

    async def record_now(self, principal: Principal, action: Action, **fields: Any) -> None:
        """``principal``'s view (or refused attempt) on the ledger now, before anything it shows
        leaves (issue 16: no record, no data); a change's event goes through ``ledger``, in the
        change's transaction."""
        await self.clients.audit.record(audit_event(principal, action, source="search", **fields))


get_context = state_of("search", SearchContext)


Ctx = Annotated[SearchContext, Depends(get_context)]
