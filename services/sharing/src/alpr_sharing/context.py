"""What the sharing service's requests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from alpr_common import LedgerOutbox, ServiceClients

from .settings import Settings


@dataclass
class SharingContext:
    settings: Settings
    clients: ServiceClients
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)


async def get_context(request: Request) -> SharingContext:
    ctx: SharingContext = request.app.state.sharing
    return ctx


Ctx = Annotated[SharingContext, Depends(get_context)]
