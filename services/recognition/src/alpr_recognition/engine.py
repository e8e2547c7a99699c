"""The model held by a running service: loaded once, in a thread, at start; inference off the loop."""

from __future__ import annotations

import logging
import time

import anyio
import torch
from PIL import Image

from alpr_common import Unavailable

from .pipeline import PipelineOptions, Read, Recognizer
from .settings import Settings
from .telemetry import RecognitionMetrics

log = logging.getLogger("alpr.recognition")


class ModelNotReady(Exception):
    """Raised by the readiness check until the model has loaded."""


class Engine:
    def __init__(self, settings: Settings, metrics: RecognitionMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.recognizer: Recognizer | None = None
        self.failed: BaseException | None = None
        self._limiter = anyio.CapacityLimiter(1)  # one batch on the model at a time; others queue

    def load(self) -> None:
        torch.set_num_threads(self.settings.threads)
        options = PipelineOptions(
            detect_size=self.settings.detect_size,
            detect_threshold=self.settings.detect_threshold,
            min_confidence=self.settings.min_confidence,
            state_threshold=self.settings.state_threshold,
        )
        began = time.monotonic()
        try:
            self.recognizer = Recognizer(self.settings.weights_dir, self.settings.device, options)
        except BaseException as exc:
            self.failed = exc
            log.exception("model_load_failed")
            raise
        self.metrics.model_loaded.set(1)
        log.info(
            "model_loaded version=%s device=%s seconds=%.2f",
            self.recognizer.model_version, self.recognizer.device, time.monotonic() - began,
        )  # fmt: skip

    async def check(self) -> None:
        if self.recognizer is None:
            raise ModelNotReady("failed" if self.failed else "loading")

    @property
    def model_version(self) -> str:
        return self.recognizer.model_version if self.recognizer else "unloaded"

    async def recognize(
        self, images: list[Image.Image], source: str, keep_crops: bool = False
    ) -> list[list[Read]]:
        recognizer = self.recognizer
        if recognizer is None:
            raise Unavailable("The recognition model is still loading.")
        began = time.perf_counter()
        results = await anyio.to_thread.run_sync(
            lambda: recognizer.recognize(images, keep_crops=keep_crops), limiter=self._limiter
        )
        self.metrics.latency.observe(time.perf_counter() - began)
        self.metrics.batch_size.observe(len(images))
        self.metrics.images.labels(source).inc(len(images))
        self.metrics.reads.labels(source).inc(sum(len(r) for r in results))
        return results
