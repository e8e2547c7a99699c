"""The search service's tables (schema ``search``): the detection store, partitioned by
capture day so retention drops whole partitions (R16)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from alpr_common import agency_column, agency_table, id_column, moment_column, outbox_table
from alpr_common.migrations import NULLABLE_JSONB, service_metadata

metadata = service_metadata("search")

# Partitioned by RANGE (captured_at), one partition per UTC day, made on first insert.
detections = Table(
    "detections",
    metadata,
    id_column(),
    moment_column("captured_at", primary_key=True),
    agency_column(),
    Column("camera_id", Uuid, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("plate", String(16), nullable=False),
    Column("plate_corrected", String(16)),
    Column("region", String(8), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("box", NULLABLE_JSONB),
    Column("crop_key", Text),
    Column("frame_key", Text),
    Column("vehicle", JSONB, nullable=False),
    moment_column("created_at"),
    Column("model_version", String(64)),  # R22: corrections counted per model version
)

holds = agency_table(
    "holds",
    metadata,
    Column("case_number", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("holder", JSONB, nullable=False),
    moment_column("created_at"),
    moment_column("released_at", nullable=True),
    Column("released_by", NULLABLE_JSONB),
)

# A held detection, copied whole: it outlives its day partition (R17).
hold_items = Table(
    "hold_items",
    metadata,
    Column("hold_id", Uuid, primary_key=True),
    Column("detection_id", Uuid, primary_key=True),
    moment_column("captured_at"),
    Column("crop_key", Text),
    Column("frame_key", Text),
    Column("detection", JSONB, nullable=False),
)

# R16: an agency's own retention period (the service setting is the default until it sets one).
agency_settings = Table(
    "agency_settings",
    metadata,
    agency_column(primary_key=True),
    Column("retention_days", Integer, nullable=False),
    Column("updated_by", JSONB, nullable=False),
    moment_column("updated_at"),
)

# Ledger events of this service's changes, written in the change's transaction (issue 16).
outbox_messages = outbox_table(metadata, "outbox_messages")

# Issue 17, warrant-style tiers: a search request and a supervisor's prior approval of it, used
# once (``used_at``, ``used_by_search``) by the search it approved.
search_requests = agency_table(
    "search_requests",
    metadata,
    Column("requester_sub", String(256), nullable=False),
    Column("requested_by", JSONB, nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("case_number", String(64)),
    Column("reason", Text),
    Column("justification", Text, nullable=False),
    Column("criteria", JSONB, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("tiers", JSONB, nullable=False),  # the conditions of the tiers it fell in when asked
    Column("status", String(16), nullable=False),
    moment_column("created_at"),
    Column("decided_by", NULLABLE_JSONB),
    moment_column("decided_at", nullable=True),
    Column("decision_note", Text),
    moment_column("expires_at", nullable=True),
    moment_column("used_at", nullable=True),
    Column("used_by_search", Uuid),
)
