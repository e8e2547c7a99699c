"""One typed client per service, built once per process (in the app's lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ._clients import ClientCredentials, ServiceClient
from ._settings import ServiceSettings
from ._whoami import WhoAmI


class _WhoamiMixin(ServiceClient):
    async def whoami(self, *, token: str | None = None) -> WhoAmI:
        """The identity this client presents to the service (its own, or ``token``'s)."""
        return await self.get_model("/v1/whoami", WhoAmI, token=token)


class IngestClient(_WhoamiMixin):
    service_name = "ingest"


class RecognitionClient(_WhoamiMixin):
    service_name = "recognition"


class HotlistClient(_WhoamiMixin):
    service_name = "hotlist"


class SearchClient(_WhoamiMixin):
    service_name = "search"


class AuditClient(_WhoamiMixin):
    service_name = "audit"


class SharingClient(_WhoamiMixin):
    service_name = "sharing"


@dataclass(frozen=True)
class ServiceClients:
    ingest: IngestClient
    recognition: RecognitionClient
    hotlist: HotlistClient
    search: SearchClient
    audit: AuditClient
    sharing: SharingClient

    @classmethod
    def build(cls, settings: ServiceSettings, http: httpx.AsyncClient) -> ServiceClients:
        credentials = None
        if settings.client_id:
            credentials = ClientCredentials(
                issuer=settings.oidc_issuer,
                client_id=settings.client_id,
                client_secret=settings.client_secret.get_secret_value(),
                http=http,
            )
        return cls(
            ingest=IngestClient(settings.ingest_url, http=http, credentials=credentials),
            recognition=RecognitionClient(settings.recognition_url, http=http, credentials=credentials),
            hotlist=HotlistClient(settings.hotlist_url, http=http, credentials=credentials),
            search=SearchClient(settings.search_url, http=http, credentials=credentials),
            audit=AuditClient(settings.audit_url, http=http, credentials=credentials),
            sharing=SharingClient(settings.sharing_url, http=http, credentials=credentials),
        )
