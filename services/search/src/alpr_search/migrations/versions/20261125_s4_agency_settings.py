"""Per-agency settings: retention days (R16)."""

from alembic import op

revision: str = "s4agencysettings"
down_revision: str | None = "s3corrected"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search.agency_settings (
            agency varchar(32) PRIMARY KEY,
            retention_days integer NOT NULL CHECK (retention_days BETWEEN 90 AND 1825),
            updated_by jsonb NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE search.agency_settings")
