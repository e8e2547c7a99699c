"""Indexes for corrected plates, so a plate search (which also matches corrections, R19)
stays an index scan on both columns, and for partial plates with a literal start.
"""

from alembic import op

revision: str = "s3corrected"
down_revision: str | None = "s2holds"


def upgrade() -> None:
    # Partial plates with a literal start (`7AB*12`) take a range scan over the start, whatever
    # the database's collation.
    op.execute(
        "CREATE INDEX ix_detections_plate_prefix ON search.detections "
        "(agency, plate varchar_pattern_ops, captured_at)"
    )
    op.execute(
        "CREATE INDEX ix_detections_plate_corrected ON search.detections "
        "(agency, plate_corrected, captured_at) WHERE plate_corrected IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_detections_plate_corrected_trgm ON search.detections "
        "USING gin (plate_corrected gin_trgm_ops) WHERE plate_corrected IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX search.ix_detections_plate_prefix")
    op.execute("DROP INDEX search.ix_detections_plate_corrected_trgm")
    op.execute("DROP INDEX search.ix_detections_plate_corrected")
