"""One typed client per service, built once per process (in the app's lifespan)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
import structlog
from pydantic import BaseModel, ValidationError

from ._agency_policy import AgencyPolicy, AgencyPolicyVersion, PolicyStatus
from ._audit_events import AuditBatchIn, AuditEventIn, AuditReceipt, AuditReceipts
from ._clients import ClientCredentials, ServiceCallError, ServiceClient, ServiceTransport
from ._pipeline import Accepted, DetectionBatch, MatchBatch
from ._problems import AuditUnavailable, Unavailable
from ._public_figures import AuditFigures
from ._searches import SearchPage, ServiceSearch
from ._settings import ServiceSettings
from ._shared_entries import SharedEntries, SharedEntry
from ._stats import HotlistStats, IngestStats, SearchStats, SharingStats
from ._whoami import WhoAmI
from ._work_queue import (
    ClaimedFrame,
    ClaimRequest,
    ClaimResponse,
    HitCrops,
    PurgeRequest,
    PurgeResult,
    ReadsStored,
    ReadsSubmission,
)

_policy_log = structlog.get_logger("alpr.agency_policy")

StatsT = TypeVar("StatsT", bound=BaseModel)


class _WhoamiMixin(ServiceClient):
    async def whoami(self, *, token: str | None = None) -> WhoAmI:
        """The identity this client presents to the service (its own, or ``token``'s)."""
        return await self.get_model("/v1/whoami", WhoAmI, token=token)


class _StatsMixin(_WhoamiMixin, Generic[StatsT]):
    stats_model: type[StatsT]

    async def stats(self, agency: str) -> StatsT:
        """``GET /v1/stats?agency=``: the service's counts for the agency (R23, with R22's figures
        where the service keeps them; never a record)."""
        return await self.get_model("/v1/stats", self.stats_model, params={"agency": agency})


class IngestClient(_StatsMixin[IngestStats]):
    service_name = "ingest"
    stats_model = IngestStats

    async def purge_frames(
        self,
        agency: str,
        captured_before: datetime,
        keep_keys: list[str],
        keep_crops: list[str] | None = None,
    ) -> PurgeResult:
        """``POST /v1/frames:purge``: frames, reads and their objects before a time, except held keys
        (and the crops of hits that keep theirs, issue 17)."""
        body = PurgeRequest(
            agency=agency, captured_before=captured_before, keep_keys=keep_keys, keep_crops=keep_crops or []
        )
        return await self.post_model("/v1/frames:purge", body, PurgeResult)

    async def claim_frames(self, max_frames: int, lease_seconds: int) -> list[ClaimedFrame]:
        """``POST /v1/frames:claim``: a batch of leased frames with presigned image URLs."""
        body = ClaimRequest(max=max_frames, lease_seconds=lease_seconds)
        return (await self.post_model("/v1/frames:claim", body, ClaimResponse)).items

    async def submit_reads(self, frame_id: uuid.UUID, body: ReadsSubmission) -> ReadsStored:
        """``POST /v1/frames/{id}/reads``: a leased frame's reads; 409 (``ServiceCallError``) when the
        lease is no longer held, in which case nothing was stored."""
        return await self.post_model(f"/v1/frames/{frame_id}/reads", body, ReadsStored)


class RecognitionClient(_WhoamiMixin):
    service_name = "recognition"


class HotlistClient(_StatsMixin[HotlistStats]):
    service_name = "hotlist"
    stats_model = HotlistStats

    async def matches(self, batch: MatchBatch) -> Accepted:
        """``POST /v1/matches``: reads to match against the hotlists (idempotent on read id)."""
        return await self.post_model("/v1/matches", batch, Accepted)

    async def shared_entries(self, agency: str) -> list[SharedEntry]:
        """``GET /v1/shared-entries?agency=``: the agency's entries flagged shareable (internal)."""
        return (await self.get_model("/v1/shared-entries", SharedEntries, params={"agency": agency})).items

    async def hit_crops(self, agency: str) -> list[str]:
        """``GET /v1/hits:crops?agency=``: crop keys of the agency's kept confirmed hits, which the
        detection purge keeps (R14, issue 17)."""
        return (await self.get_model("/v1/hits:crops", HitCrops, params={"agency": agency})).keys


class SearchClient(_StatsMixin[SearchStats]):
    service_name = "search"
    stats_model = SearchStats

    async def detections_batch(self, batch: DetectionBatch) -> Accepted:
        """``POST /v1/detections:batch``: detections into the store (idempotent on id)."""
        return await self.post_model("/v1/detections:batch", batch, Accepted)

    async def search(self, body: ServiceSearch) -> SearchPage:
        """``POST /v1/searches`` as a service (sharing's fulfilment names `agency` and
        `sharing_request_id`, R28); problems raise ``ServiceCallError``."""
        return await self.post_model("/v1/searches", body, SearchPage)


class AuditClient(_WhoamiMixin):
    service_name = "audit"

    async def record(self, *events: AuditEventIn) -> list[AuditReceipt]:
        """Writes events to the ledger; raises ``AuditUnavailable`` when they could not be
        written, so the caller does not perform the action (fail closed)."""
        body = AuditBatchIn(events=list(events))
        try:
            receipts = await self.post_model("/v1/events", body, AuditReceipts)
        except (ServiceCallError, Unavailable) as exc:
            raise AuditUnavailable() from exc
        return receipts.items

    async def public_figures(self, agency: str, months: int = 12) -> AuditFigures:
        """``GET /v1/public-figures?agency=&months=``: searches per month by purpose and the last
        complete sample audit, for the agency's public page (issue 17; counts only)."""
        params = {"agency": agency, "months": months}
        return await self.get_model("/v1/public-figures", AuditFigures, params=params)


class SharingClient(_StatsMixin[SharingStats]):
    service_name = "sharing"
    stats_model = SharingStats

    async def agency_policy(self, agency: str, at: datetime | None = None) -> AgencyPolicyVersion:
        """``GET /v1/agencies/{ori}/policy[?at=]``: the agency's policy in force (issue 17)."""
        params = {"at": at.isoformat()} if at is not None else None
        return await self.get_model(f"/v1/agencies/{agency}/policy", AgencyPolicyVersion, params=params)


@dataclass
class _KnownPolicy:
    version: AgencyPolicyVersion
    fresh_until: float  # on the client's clock
    read: bool = True  # False: the strictest defaults, kept while sharing could not be reached


class AgencyPolicyClient:
    """Each agency's own rules as sharing serves them, cached (issue 17, item 3).

    A version is kept ``ttl_seconds`` (default 30: a change in force at sharing is applied
    everywhere within 60 s). While sharing cannot be reached (or answers a problem), the last
    version read is used and asked for again after ``retry_seconds``; for an agency never read,
    the strictest defaults (``AgencyPolicy()``, version 0), likewise asked for again after
    ``retry_seconds``. Build one per process, beside the
    ``ServiceClients`` it wraps; the service's token needs the ``service`` role."""

    def __init__(
        self,
        sharing: SharingClient,
        *,
        ttl_seconds: float = 30.0,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sharing = sharing
        self._ttl = ttl_seconds
        self._retry = retry_seconds
        self._clock = clock
        self._known: dict[str, _KnownPolicy] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def version(self, agency: str) -> AgencyPolicyVersion:
        """The agency's policy version in force, as last known."""
        known = self._known.get(agency)
        if known is not None and self._clock() < known.fresh_until:
            return known.version
        lock = self._locks.setdefault(agency, asyncio.Lock())
        async with lock:  # one call to sharing per agency at a time; the others take its answer
            known = self._known.get(agency)
            if known is not None and self._clock() < known.fresh_until:
                return known.version
            try:
                fetched = await self._sharing.agency_policy(agency)
            except (Unavailable, ServiceCallError, ValidationError) as exc:
                last_known = known is not None and known.read
                _policy_log.warning(
                    "agency_policy_unavailable", agency=agency, error=str(exc), last_known=last_known
                )
                if known is None:
                    # Asked again after ``retry_seconds`` too, not on every request: each ask
                    # while sharing is down costs its retries (issue 16, a search's own time).
                    known = _KnownPolicy(strictest_policy_version(agency), 0.0, read=False)
                    self._known[agency] = known
                known.fresh_until = self._clock() + self._retry
                return known.version
            self._known[agency] = _KnownPolicy(fetched, self._clock() + self._ttl)
            return fetched

    async def policy(self, agency: str) -> AgencyPolicy:
        """The agency's rules in force, as last known (the strictest defaults with none)."""
        return (await self.version(agency)).policy

    def answered(self, agency: str) -> bool:
        """Whether sharing ever answered for ``agency``: False where :meth:`version` gives the
        strictest defaults because its policy was never read (a real version 0 answers True)."""
        known = self._known.get(agency)
        return known is not None and known.read


def strictest_policy_version(agency: str) -> AgencyPolicyVersion:
    """What applies to an agency whose policy was never read: every rule at its strictest."""
    return AgencyPolicyVersion(agency=agency, version=0, status=PolicyStatus.DEFAULT, policy=AgencyPolicy())


@dataclass(frozen=True)
class ServiceClients:
    ingest: IngestClient
    recognition: RecognitionClient
    hotlist: HotlistClient
    search: SearchClient
    audit: AuditClient
    sharing: SharingClient

    @classmethod
    def build(
        cls, settings: ServiceSettings, http: httpx.AsyncClient, transport: ServiceTransport | None = None
    ) -> ServiceClients:
        """The clients over ``http``; with ``transport`` (the app's, issue 16), calls that need
        nothing of httpx's client go over that leaner pool instead."""
        credentials = None
        if settings.client_id:
            credentials = ClientCredentials(
                issuer=settings.oidc_issuer,
                client_id=settings.client_id,
                client_secret=settings.client_secret.get_secret_value(),
                http=http,
            )
        common: dict[str, Any] = {"http": http, "credentials": credentials, "transport": transport}
        return cls(
            ingest=IngestClient(settings.ingest_url, **common),
            recognition=RecognitionClient(settings.recognition_url, **common),
            hotlist=HotlistClient(settings.hotlist_url, **common),
            search=SearchClient(settings.search_url, **common),
            audit=AuditClient(settings.audit_url, **common),
            sharing=SharingClient(settings.sharing_url, **common),
        )
