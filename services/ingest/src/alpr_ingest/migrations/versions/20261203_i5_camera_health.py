"""Camera health (issue 20, item 1): a camera's expected interval between frames or reads, when
an administrator sets one (otherwise it is learned), the shift checks (002, Alameda 462.3(b)4),
and the indexes that let the health table read one camera's recent frames and reads.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "i5camerahealth"
down_revision: str | None = "i4fanoutonoutbox"


def upgrade() -> None:
    op.add_column("cameras", sa.Column("expected_interval_s", sa.Integer), schema="ingest")
    op.create_table(
        "camera_checks",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.Uuid, sa.ForeignKey("ingest.cameras.id"), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("checked_by", sa.String(256), nullable=False),
        sa.Column("checked_by_name", sa.String(256), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        schema="ingest",
    )
    op.create_index(
        "ix_camera_checks_camera", "camera_checks", ["agency", "camera_id", "checked_at"], schema="ingest"
    )
    op.create_index("ix_frames_camera_captured_at", "frames", ["camera_id", "captured_at"], schema="ingest")
    op.create_index("ix_reads_camera_captured_at", "reads", ["camera_id", "captured_at"], schema="ingest")


def downgrade() -> None:
    op.drop_index("ix_reads_camera_captured_at", "reads", schema="ingest")
    op.drop_index("ix_frames_camera_captured_at", "frames", schema="ingest")
    op.drop_table("camera_checks", schema="ingest")
    op.drop_column("cameras", "expected_interval_s", schema="ingest")
