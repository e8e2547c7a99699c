"""Settings of the sharing service: its own carry the ``SHARING_`` prefix."""

from __future__ import annotations

from pydantic import Field

from alpr_common import OutboundSettings, ServiceSettings, settings_config


class Settings(ServiceSettings, OutboundSettings):
    """Partners' webhook URLs obey the outbound-URL policy (``OUTBOUND_ALLOW_HTTP``,
    ``OUTBOUND_ALLOW_NETWORKS``, unprefixed: issue 19)."""

    model_config = settings_config("SHARING_")

    # How long after approval the partner may fetch the results.
    release_window_hours: int = Field(72, ge=1, le=720)
    # R29: by default only public agencies of the host's state receive data, never federal ones.
    host_state: str = Field("CA", pattern=r"^[A-Z]{2}$")
    allow_out_of_state: bool = False
    allow_federal: bool = False
    # The longest time window one request may cover.
    max_scope_days: int = Field(90, ge=1, le=1825)
    # Decision notifications to partners' webhooks.
    notify_max_attempts: int = Field(8, ge=1, le=50)
    notify_max_backoff_seconds: float = Field(600.0, gt=0)
    notify_timeout_seconds: float = Field(10.0, gt=0)
    notify_poll_seconds: float = Field(0.5, gt=0)
    # R26: where requests from agencies that are not law enforcement are sent instead.
    records_release_text: str = (
        "This agency releases ALPR data only to law-enforcement and prosecutorial agencies. "
        "Other requests go through the agency's public records process (California Public "
        "Records Act); contact its Records Unit."
    )
