"""R22 accuracy monitoring: the Prometheus counter of alerts an officer closed as misread, by
recognition model version. The camera stays out of the labels (one series per camera would
grow without bound); per-camera counts are in ``GET /v1/stats``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

UNKNOWN_VERSION = "unknown"


class AccuracyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.misreads = Counter(
            "alpr_hotlist_misreads_total",
            "Alerts closed as misread by an officer (R22), by recognition model version.",
            ["model_version"],
            registry=registry,
        )

    def misread(self, model_version: str | None) -> None:
        self.misreads.labels(model_version or UNKNOWN_VERSION).inc()
