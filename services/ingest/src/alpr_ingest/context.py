"""What the ingest service's requests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from alpr_common import LedgerOutbox, ServiceClients, state_of

from .settings import Settings
from .storage import ObjectStore


@dataclass
class IngestContext:
    settings: Settings
    store: ObjectStore
    clients: ServiceClients
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)


get_context = state_of("ingest", IngestContext)


Ctx = Annotated[IngestContext, Depends(get_context)]
