"""Settings of the hotlist service: its own carry the ``HOTLIST_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from alpr_common import DEFAULT_CASE_NUMBER_PATTERN, ObjectStoreSettings, OutboundSettings, settings_config


class Settings(ObjectStoreSettings, OutboundSettings):
    """Feed, token and webhook URLs obey the outbound-URL policy (``OUTBOUND_ALLOW_HTTP``,
    ``OUTBOUND_ALLOW_NETWORKS``, unprefixed: issue 19)."""

    model_config = settings_config("HOTLIST_")

    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN
    # A local entry without an expiry lapses after this many days (R12 entries are not forever).
    local_entry_days: int = Field(30, ge=1, le=365)
    # R11: synced and shared entries not refreshed within this many hours stop matching.
    freshness_hours: int = Field(24, ge=1, le=24)
    # Issue 21: a read's state must agree with an entry's only when the read names one with at
    # least this region confidence (a read without a confidence counts as sure of its state).
    state_match_min_confidence: float = Field(0.8, ge=0, le=1)
    # R10: sources sync at least daily; the default interval of a new source.
    default_sync_minutes: int = Field(60, ge=5, le=1440)
    # The service syncs due sources itself (off where a CronJob runs `alpr hotlist sync`).
    scheduler: bool = True
    scheduler_poll_seconds: float = Field(30.0, gt=0)
    # A feed with more bad rows than this fraction is malformed as a whole: nothing changes.
    max_bad_row_fraction: float = Field(0.1, ge=0, le=1)
    max_feed_bytes: int = Field(256 * 1024 * 1024, ge=1024)
    feed_timeout_seconds: float = Field(60.0, gt=0)
    # `file://` sources are read only from under this directory (unset: none allowed).
    feed_dir: Path | None = None
    # Issue 19: the environment variables a source's `client_secret_env` may name (comma list).
    # Empty, the default: no source can reference a secret, so none of the service's own
    # (S3_SECRET_KEY, HOTLIST_CLIENT_SECRET, ...) can be sent to a partner's token endpoint.
    source_secret_envs: str = ""
    # R14: alerts have their own retention, apart from detections, by each agency's policy
    # (issue 17: `alert_days`, `hit_days`). This is the period of an agency without a policy of
    # its own: 0 keeps them indefinitely (Hayward keeps hit records so); otherwise
    # `alpr hotlist purge-alerts` removes closed alerts (confirmed, misread, not active) older than
    # this many days. Open alerts are never purged.
    alert_retention_days: int = Field(0, ge=0, le=36500)
    # Webhook delivery: attempts before a delivery is marked failed, and the backoff cap.
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_max_backoff_seconds: float = Field(600.0, gt=0)
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    webhook_poll_seconds: float = Field(0.5, gt=0)
    # SSE: a comment line this often keeps proxies from closing an idle stream.
    stream_keepalive_seconds: float = Field(15.0, gt=0)
    # A stream ends after this long (the client resumes with Last-Event-ID), so no connection
    # pins a replica that is being stopped or rebalanced.
    stream_max_seconds: float = Field(300.0, gt=0)
    # Issue 18: a stream ticket (POST /v1/alerts/stream-tickets) opens the stream once, within
    # this many seconds of its issue.
    stream_ticket_seconds: int = Field(30, ge=1, le=300)
    # The gauges read from the database (each source's last sync) are refreshed this often.
    metrics_refresh_seconds: float = Field(15.0, gt=0)

    @property
    def source_secret_env_names(self) -> frozenset[str]:
        return frozenset(n.strip() for n in self.source_secret_envs.split(",") if n.strip())
