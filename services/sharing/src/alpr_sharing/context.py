"""What the sharing service's requests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from alpr_common import LedgerOutbox, ServiceClients, state_of

from .settings import Settings


@dataclass
class SharingContext:
    settings: Settings
    clients: ServiceClients
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)


get_context = state_of("sharing", SharingContext)


Ctx = Annotated[SharingContext, Depends(get_context)]
