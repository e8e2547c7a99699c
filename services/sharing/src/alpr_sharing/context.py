"""What the sharing service's requests share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends

from alpr_common import Action, LedgerOutbox, Principal, ServiceClients, audit_event, state_of

from .public.pages import FiguresCache
from .settings import Settings


@dataclass
class SharingContext:
    settings: Settings
    clients: ServiceClients
    ledger: LedgerOutbox  # ledger events of changes, in the change's transaction (issue 16)
    public_figures: FiguresCache = field(default_factory=FiguresCache)  # the public pages' counts

    async def record_access(self, principal: Principal, action: Action, **fields: Any) -> None:
        """Puts a view or a release on the ledger before the data leaves: when the ledger does not
        answer, the caller is refused (fail closed). ``fields`` are ``audit_event``'s."""
        await self.clients.audit.record(audit_event(principal, action, source="sharing", **fields))


get_context = state_of("sharing", SharingContext)


Ctx = Annotated[SharingContext, Depends(get_context)]
