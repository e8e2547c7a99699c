"""Indexes for corrected plates, so a plate search (which also matches corrections, R19)
stays an index scan on both columns.

Revision ID: s3corrected
Revises: s2holds
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "s3corrected"
down_revision: str | None = "s2holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_detections_plate_corrected ON search.detections "
        "(agency, plate_corrected, captured_at) WHERE plate_corrected IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_detections_plate_corrected_trgm ON search.detections "
        "USING gin (plate_corrected gin_trgm_ops) WHERE plate_corrected IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX search.ix_detections_plate_corrected_trgm")
    op.execute("DROP INDEX search.ix_detections_plate_corrected")
