"""Prometheus metrics of recognition: throughput, batch sizes, latency, queue lag, misreads (R22)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from alpr_common import Metrics


class RecognitionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        metrics = Metrics(registry)
        self.images = metrics.counter(
            "alpr_recognition_images_total", "Images read, by source (api or worker).", labels=["source"]
        )
        self.reads = metrics.counter("alpr_recognition_reads_total", "Plates read.", labels=["source"])
        self.batch_size = metrics.histogram(
            "alpr_recognition_batch_size", "Images per model batch.", buckets=(1, 2, 4, 8, 16, 32, 64, 128)
        )
        self.latency = metrics.histogram(
            "alpr_recognition_batch_seconds",
            "Model time per batch (detection and reading).",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.queue_lag = metrics.gauge(
            "alpr_recognition_queue_lag_seconds",
            "Age of the newest frame claimed by the worker (capture to claim).",
        )
        self.worker_errors = metrics.counter(
            "alpr_recognition_worker_errors_total", "Worker failures, by stage.", labels=["stage"]
        )
        self.model_loaded = metrics.gauge("alpr_recognition_model_loaded", "1 once the models are loaded.")
        self.images_per_second = metrics.gauge(
            "alpr_recognition_images_per_second", "Images per second over the last worker batch."
        )
