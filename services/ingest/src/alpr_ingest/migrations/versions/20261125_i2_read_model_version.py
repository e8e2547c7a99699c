"""The recognition model version of each read (R22: misreads counted per model version)."""

import sqlalchemy as sa
from alembic import op

revision: str = "i2readmodelversion"
down_revision: str | None = "i1ingest"


def upgrade() -> None:
    op.add_column("reads", sa.Column("model_version", sa.String(64)), schema="ingest")


def downgrade() -> None:
    op.drop_column("reads", "model_version", schema="ingest")
