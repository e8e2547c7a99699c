"""The hotlist service's tables (schema ``hotlist``): lists, their entries and sources, and the
alerts with their webhook deliveries, kept apart from the detection store (R14)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from alpr_common import (
    agency_column,
    agency_table,
    delivery_log_table,
    id_column,
    moment_column,
    outbox_table,
    timestamps,
)
from alpr_common.migrations import NULLABLE_JSONB, service_metadata

metadata = service_metadata("hotlist")

hotlists = agency_table(
    "hotlists",
    metadata,
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("alerting", Boolean, nullable=False),
    Column("created_by", JSONB, nullable=False),
    *timestamps(),
    UniqueConstraint("agency", "name", name="uq_hotlists_agency_name"),
)

sources = Table(
    "sources",
    metadata,
    id_column(),
    Column("hotlist_id", Uuid, ForeignKey("hotlist.hotlists.id", ondelete="CASCADE"), nullable=False),
    agency_column(),
    Column("url", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("interval_minutes", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("token_url", Text),
    Column("client_id", String(256)),
    Column("client_secret_env", String(128)),
    Column("created_by", JSONB, nullable=False),
    moment_column("created_at"),
    moment_column("last_attempt_at", nullable=True),
    moment_column("last_success_at", nullable=True),
    Column("last_status", String(16)),
    Column("last_error", Text),
    Column("last_counts", NULLABLE_JSONB),
)

syncs = Table(
    "syncs",
    metadata,
    id_column(),
    Column("source_id", Uuid, ForeignKey("hotlist.sources.id", ondelete="CASCADE"), nullable=False),
    moment_column("started_at"),
    moment_column("finished_at"),
    Column("status", String(16), nullable=False),
    Column("loaded", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("errors", JSONB, nullable=False),
    Column("error", Text),
)

# One row per hotlist entry. `match_key` is the plate with OCR-confusable characters folded
# (exact and confusable matches are one index lookup); wildcard entries carry `pattern` instead.
entries = Table(
    "entries",
    metadata,
    id_column(),
    Column("hotlist_id", Uuid, ForeignKey("hotlist.hotlists.id", ondelete="CASCADE"), nullable=False),
    agency_column(),
    Column("origin", String(8), nullable=False),
    Column("source_id", Uuid),
    Column("plate", String(16), nullable=False),
    Column("match_key", String(16)),
    Column("pattern", Text),
    Column("state", String(8), nullable=False),
    Column("plate_type", String(8)),
    Column("vehicle", JSONB, nullable=False),
    Column("reason", Text),
    Column("reason_code", String(16)),
    Column("ori", String(16)),
    Column("ncic_number", String(16)),
    Column("entered_on", Date),
    Column("case_number", String(64)),
    Column("synopsis", Text),
    moment_column("expires_at", nullable=True),
    Column("shareable", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
    Column("entered_by", NULLABLE_JSONB),
    Column("approved_by", NULLABLE_JSONB),
    moment_column("approved_at", nullable=True),
    Column("pending_update", NULLABLE_JSONB),
    moment_column("refreshed_at"),
    *timestamps(),
)

alerts = Table(
    "alerts",
    metadata,
    id_column(),
    Column("read_id", Uuid, nullable=False),
    Column("entry_id", Uuid, nullable=False),
    Column("hotlist_id", Uuid, nullable=False),
    agency_column(),
    Column("camera_id", Uuid, nullable=False),
    Column("plate", String(16), nullable=False),
    Column("region", String(8), nullable=False),
    Column("confidence", Float, nullable=False),
    moment_column("captured_at"),
    Column("crop_key", Text),
    Column("grade", String(12), nullable=False),
    Column("state", String(16), nullable=False),
    Column("entry", JSONB, nullable=False),
    Column("transitions", JSONB, nullable=False),
    *timestamps(),
    Column("model_version", String(64)),  # R22: misreads counted per camera and model version
    Column("disposition", String(24)),  # R14: set by the move into a final state
    UniqueConstraint("read_id", "entry_id", name="uq_alerts_read_entry"),
    CheckConstraint(
        "disposition IN ('no_action', 'stop', 'arrest', 'vehicle_recovered', 'misread')", name="disposition"
    ),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("alert_id", Uuid, ForeignKey("hotlist.alerts.id", ondelete="CASCADE"), nullable=False),
    agency_column(),
    Column("hotlist_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    moment_column("created_at"),
)

webhooks = agency_table(
    "webhooks",
    metadata,
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("hotlist_ids", ARRAY(Uuid)),
    Column("description", Text),
    Column("active", Boolean, nullable=False),
    Column("created_by", JSONB, nullable=False),
    moment_column("created_at"),
)

deliveries = delivery_log_table(
    metadata,
    "deliveries",
    Column("webhook_id", Uuid, ForeignKey("hotlist.webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("alert_id", Uuid, nullable=False),
    Column("event", String(32), nullable=False),
)

# One-time stream tickets (issue 18): a browser's EventSource cannot send a bearer token, so it
# opens the alert stream with a ticket instead. Only the ticket's SHA-256 is kept; the row holds
# the principal as it was at issue time, and is deleted when the ticket is used.
stream_tickets = Table(
    "stream_tickets",
    metadata,
    Column("ticket_hash", LargeBinary(32), primary_key=True),
    Column("sub", String(255), nullable=False),
    Column("name", Text, nullable=False),
    agency_column(),
    Column("roles", ARRAY(Text), nullable=False),
    Column("client_id", Text),
    Column("badge", String(64)),
    Column("training_expires", Date),
    moment_column("created_at"),
    moment_column("expires_at", index=True),
)

# Ledger events of this service's changes and of the alerts it makes, written in their own
# transaction and sent by the outbox dispatcher (issue 16).
outbox_messages = outbox_table(metadata, "outbox_messages")
