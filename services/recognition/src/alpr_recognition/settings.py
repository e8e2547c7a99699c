"""Settings of the recognition service: its own carry the ``RECOGNITION_`` prefix."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from alpr_common import ServiceSettings, settings_config

from .pipeline import DEVICE_PATTERN
from .weights import WEIGHTS_DIR


class Settings(ServiceSettings):
    model_config = settings_config("RECOGNITION_")
    # No database of its own (it reads ingest's frames through ingest's API).
    uses_database: ClassVar[bool] = False

    device: str = Field("auto", pattern=rf"^({DEVICE_PATTERN})$", description="auto: CUDA when present.")
    threads: int = Field(2, ge=1, le=256, description="CPU threads for inference (torch.set_num_threads).")
    weights_dir: Path = WEIGHTS_DIR
    max_image_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_pixels: int = Field(40_000_000, ge=10_000)
    max_images: int = Field(16, ge=1, le=256, description="Images per /v1/recognize request.")
    detect_size: int = Field(640, ge=128, le=2048, multiple_of=32)
    detect_threshold: float = Field(0.3, gt=0, lt=1)
    min_confidence: float = Field(0.05, ge=0, le=1)
    state_threshold: float | None = Field(
        None, ge=0, le=1, description="Below this the US state is `unknown`; unset: the weights' own."
    )
    # The worker loop over ingest's leased frames.
    worker_enabled: bool = True
    claim_batch: int = Field(16, ge=1, le=100)
    lease_seconds: int = Field(60, ge=5, le=3600)
    idle_poll_seconds: float = Field(1.0, gt=0, le=60)
    fetch_concurrency: int = Field(8, ge=1, le=64)
