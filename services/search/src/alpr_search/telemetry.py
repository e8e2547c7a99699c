"""Prometheus metrics of search: searches by purpose and outcome, and refusals by reason
(R5-R8), for the compliance dashboard. Counts only: no agency, officer or case number."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from alpr_common import Metrics, Purpose


class SearchMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        metrics = Metrics(registry)
        self.searches = metrics.counter(
            "alpr_search_searches_total",
            "Searches (each page, and holds by search), by stated purpose and outcome (allowed or refused).",
            labels=["purpose", "outcome"],
        )
        self.refusals = metrics.counter(
            "alpr_search_refusals_total",
            "Searches refused, by the problem that refused them (purpose-prohibited, validation, ...).",
            labels=["reason"],
        )
        for purpose in Purpose:
            self.searches.labels(purpose.value, "allowed")
            self.searches.labels(purpose.value, "refused")

    def searched(self, purpose: str | None, refused_by: str | None = None) -> None:
        outcome = "allowed" if refused_by is None else "refused"
        self.searches.labels(purpose or "none", outcome).inc()
        if refused_by is not None:
            self.refusals.labels(refused_by).inc()
