"""The ingest service's tables (schema ``ingest``): cameras, frames, reads and the outbox."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from alpr_common import agency_table, moment_column, outbox_table, timestamps
from alpr_common.migrations import NULLABLE_JSONB, service_metadata

metadata = service_metadata("ingest")

cameras = agency_table(
    "cameras",
    metadata,
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("client_id", String(256), nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("status", String(16), nullable=False),
    *timestamps(),
    # Set by an administrator; otherwise learned from the camera's last week (camera health).
    Column("expected_interval_s", Integer),
    UniqueConstraint("agency", "client_id", name="uq_cameras_agency_client_id"),
)

# Shift checks of a camera (issue 20; 002, Alameda 462.3(b)4): who looked, when, what they found.
camera_checks = agency_table(
    "camera_checks",
    metadata,
    Column("camera_id", Uuid, ForeignKey("ingest.cameras.id"), nullable=False),
    Column("result", String(16), nullable=False),
    Column("note", Text),
    Column("checked_by", String(256), nullable=False),
    Column("checked_by_name", String(256), nullable=False),
    moment_column("checked_at"),
)

frames = agency_table(
    "frames",
    metadata,
    Column("camera_id", Uuid, ForeignKey("ingest.cameras.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    moment_column("captured_at"),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("heading", Float),
    Column("speed_kmh", Float),
    Column("lane", Integer),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_id", Uuid),
    moment_column("lease_expires_at", nullable=True),
    Column("last_error", Text),
    moment_column("created_at"),
    moment_column("done_at", nullable=True),
    UniqueConstraint("camera_id", "sha256", name="uq_frames_camera_id"),
)

reads = agency_table(
    "reads",
    metadata,
    Column("camera_id", Uuid, ForeignKey("ingest.cameras.id"), nullable=False),
    Column("frame_id", Uuid, ForeignKey("ingest.frames.id")),
    Column("source", String(16), nullable=False),
    moment_column("captured_at"),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("plate", String(16), nullable=False),
    Column("region", String(8), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("region_confidence", Float),
    Column("box", NULLABLE_JSONB),
    Column("candidates", JSONB, nullable=False),
    Column("vehicle", JSONB, nullable=False),
    Column("crop_key", Text),
    Column("frame_key", Text),
    Column("dedup_key", String(64)),
    moment_column("created_at"),
    Column("model_version", String(64)),
    UniqueConstraint("camera_id", "dedup_key", name="uq_reads_camera_id"),
)

# Messages written in the transaction that makes them and sent by the outbox engine (issue 16):
# reads to search and hotlist, and the ledger events of this service's changes.
outbox_messages = outbox_table(metadata, "outbox_messages")
