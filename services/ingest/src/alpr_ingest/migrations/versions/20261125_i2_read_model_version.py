"""The recognition model version of each read (R22: misreads counted per model version).

Revision ID: i2readmodelversion
Revises: i1ingest
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i2readmodelversion"
down_revision: str | None = "i1ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reads", sa.Column("model_version", sa.String(64)), schema="ingest")


def downgrade() -> None:
    op.drop_column("reads", "model_version", schema="ingest")
