"""Prometheus metrics of recognition: throughput, batch sizes, latency, queue lag, misreads (R22)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RecognitionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.images = Counter(
            "alpr_recognition_images_total",
            "Images read, by source (api or worker).",
            ["source"],
            registry=registry,
        )
        self.reads = Counter("alpr_recognition_reads_total", "Plates read.", ["source"], registry=registry)
        self.batch_size = Histogram(
            "alpr_recognition_batch_size", "Images per model batch.", registry=registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
        )  # fmt: skip
        self.latency = Histogram(
            "alpr_recognition_batch_seconds",
            "Model time per batch (detection and reading).",
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip
        self.queue_lag = Gauge(
            "alpr_recognition_queue_lag_seconds",
            "Age of the newest frame claimed by the worker (capture to claim).",
            registry=registry,
        )
        self.worker_errors = Counter(
            "alpr_recognition_worker_errors_total", "Worker failures, by stage.", ["stage"], registry=registry
        )
        self.model_loaded = Gauge(
            "alpr_recognition_model_loaded", "1 once the models are loaded.", registry=registry
        )
        self.images_per_second = Gauge(
            "alpr_recognition_images_per_second",
            "Images per second over the last worker batch.",
            registry=registry,
        )
