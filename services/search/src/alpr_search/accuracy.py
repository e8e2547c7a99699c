"""R22 accuracy monitoring: the Prometheus counter of misreads corrected by a person (R19), by
recognition model version. The camera stays out of the labels (one series per camera would
grow without bound); per-camera counts are in ``GET /v1/stats``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

UNKNOWN_VERSION = "unknown"


class AccuracyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.corrections = Counter(
            "alpr_search_corrections_total",
            "Detections corrected as misread (R19, R22), by recognition model version.",
            ["model_version"],
            registry=registry,
        )

    def corrected(self, model_version: str | None) -> None:
        self.corrections.labels(model_version or UNKNOWN_VERSION).inc()
