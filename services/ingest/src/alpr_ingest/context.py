"""What the ingest service's requests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from alpr_common import LedgerOutbox, ServiceClients

from .settings import Settings
from .storage import ObjectStore


@dataclass
class IngestContext:
    settings: Settings
    store: ObjectStore
    clients: ServiceClients
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)


async def get_context(request: Request) -> IngestContext:
    ctx: IngestContext = request.app.state.ingest
    return ctx


Ctx = Annotated[IngestContext, Depends(get_context)]
