"""Cameras, frames, reads and the outbox."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "i1ingest"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(256), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cameras"),
        sa.UniqueConstraint("agency", "client_id", name="uq_cameras_agency_client_id"),
        schema="ingest",
    )
    op.create_table(
        "frames",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("heading", sa.Float()),
        sa.Column("speed_kmh", sa.Float()),
        sa.Column("lane", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_id", sa.Uuid()),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["camera_id"], ["ingest.cameras.id"], name="fk_frames_camera_id_cameras"),
        sa.PrimaryKeyConstraint("id", name="pk_frames"),
        sa.UniqueConstraint("camera_id", "sha256", name="uq_frames_camera_id"),
        schema="ingest",
    )
    # The work queue: claimable frames in arrival order.
    op.create_index("ix_frames_claimable", "frames", ["status", "created_at"], schema="ingest")
    op.create_index("ix_frames_agency_captured_at", "frames", ["agency", "captured_at"], schema="ingest")
    op.create_table(
        "reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("frame_id", sa.Uuid()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("region_confidence", sa.Float()),
        sa.Column("box", postgresql.JSONB()),
        sa.Column("candidates", postgresql.JSONB(), nullable=False),
        sa.Column("vehicle", postgresql.JSONB(), nullable=False),
        sa.Column("crop_key", sa.Text()),
        sa.Column("frame_key", sa.Text()),
        sa.Column("dedup_key", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["camera_id"], ["ingest.cameras.id"], name="fk_reads_camera_id_cameras"),
        sa.ForeignKeyConstraint(["frame_id"], ["ingest.frames.id"], name="fk_reads_frame_id_frames"),
        sa.PrimaryKeyConstraint("id", name="pk_reads"),
        sa.UniqueConstraint("camera_id", "dedup_key", name="uq_reads_camera_id"),
        schema="ingest",
    )
    op.create_index("ix_reads_frame_id", "reads", ["frame_id"], schema="ingest")
    op.create_index("ix_reads_agency_captured_at", "reads", ["agency", "captured_at"], schema="ingest")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("read_id", sa.Uuid(), nullable=False),
        sa.Column("destination", sa.String(16), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        schema="ingest",
    )
    op.execute(
        "CREATE INDEX ix_outbox_pending ON ingest.outbox (destination, next_attempt_at) "
        "WHERE delivered_at IS NULL"
    )


def downgrade() -> None:
    op.drop_table("outbox", schema="ingest")
    op.drop_table("reads", schema="ingest")
    op.drop_table("frames", schema="ingest")
    op.drop_table("cameras", schema="ingest")
