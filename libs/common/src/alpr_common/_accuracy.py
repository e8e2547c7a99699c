"""R22 accuracy monitoring: a Prometheus counter of misreads a person confirmed (an alert closed
as misread, a detection corrected), by recognition model version. The camera stays out of the
labels (a series per camera would grow without bound); per-camera counts are in the owners'
``GET /v1/stats``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

UNKNOWN_MODEL_VERSION = "unknown"


class MisreadCounter:
    def __init__(self, registry: CollectorRegistry, name: str, documentation: str) -> None:
        self._counter = Counter(name, documentation, ["model_version"], registry=registry)

    def count(self, model_version: str | None) -> None:
        self._counter.labels(model_version or UNKNOWN_MODEL_VERSION).inc()
