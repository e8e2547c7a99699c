"""Settings of the ingest service: its own carry the ``INGEST_`` prefix."""

from __future__ import annotations

from pydantic import Field

from alpr_common import DEFAULT_CASE_NUMBER_PATTERN, ObjectStoreSettings, settings_config


class Settings(ObjectStoreSettings):
    model_config = settings_config("INGEST_")

    max_image_bytes: int = Field(10_000_000, ge=1024)
    max_pixels: int = Field(40_000_000, ge=10_000)
    clock_skew_seconds: int = Field(120, ge=0)
    # R18: mobile units may upload up to 30 days late.
    max_upload_age_days: int = Field(30, ge=1)
    default_lease_seconds: int = Field(60, ge=5)
    max_lease_seconds: int = Field(600, ge=5)
    max_attempts: int = Field(5, ge=1)
    outbox_batch: int = Field(200, ge=1, le=1000)
    outbox_poll_seconds: float = Field(0.5, gt=0)
    outbox_max_backoff_seconds: float = Field(60.0, gt=0)
    metrics_refresh_seconds: float = Field(5.0, gt=0)
    # Camera health (issue 20): a camera is quiet after 4 of its expected intervals without a
    # frame or read, offline after 24, and never sooner than these.
    camera_quiet_after_s: float = Field(600.0, gt=0)
    camera_offline_after_s: float = Field(3600.0, gt=0)
    # The camera-health gauges (alpr_camera_health_cameras) are counted this often: each count
    # reads every camera's last week of frames, so not every few seconds.
    camera_health_refresh_seconds: float = Field(300.0, gt=0)
    case_number_required: bool = True
    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN
