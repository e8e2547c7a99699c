"""The recognition model version of each detection (R22: corrections counted per model version)."""

from alembic import op

revision: str = "s5modelversion"
down_revision: str | None = "s4agencysettings"


def upgrade() -> None:
    # On the partitioned parent: every day partition, existing and future, gets the column.
    op.execute("ALTER TABLE search.detections ADD COLUMN model_version varchar(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE search.detections DROP COLUMN model_version")
