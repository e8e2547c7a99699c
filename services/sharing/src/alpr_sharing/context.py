"""What the sharing service's requests share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from alpr_common import LedgerOutbox, ServiceClients, state_of

from .public.pages import FiguresCache
from .settings import Settings


@dataclass
class SharingContext:
    settings: Settings
    clients: ServiceClients
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)
    public_figures: FiguresCache = field(default_factory=FiguresCache)  # the public pages' counts


get_context = state_of("sharing", SharingContext)


Ctx = Annotated[SharingContext, Depends(get_context)]
