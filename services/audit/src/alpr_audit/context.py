"""What the audit service's requests share: settings, engine, ledger writer, signing key,
service clients and the agencies' policies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import AgencyPolicyClient, Principal, ServiceClients, state_of

from .checkpoints.signing import public_key_b64
from .ledger.writer import LedgerWriter
from .settings import Settings


@dataclass
class AuditContext:
    settings: Settings
    engine: AsyncEngine
    writer: LedgerWriter
    signing_key: Ed25519PrivateKey
    clients: ServiceClients
    # Each agency's policy in force, read from sharing (issue 17): its audit cadence, sample
    # size and who audits (R21, R35).
    policies: AgencyPolicyClient

    @property
    def public_key(self) -> str:
        return public_key_b64(self.signing_key)

    @property
    def trusted_keys(self) -> frozenset[str]:
        older = {k.strip() for k in self.settings.trusted_public_keys.split(",") if k.strip()}
        return frozenset({self.public_key, *older})

    @property
    def itself(self) -> Principal:
        """The audit service as the submitter of the events it records about its own API."""
        sub = self.settings.client_id or "svc-audit"
        return Principal(
            sub=sub, name="audit service", agency="", roles=frozenset({"service"}), client_id=sub
        )


get_context = state_of("audit", AuditContext)


Ctx = Annotated[AuditContext, Depends(get_context)]
