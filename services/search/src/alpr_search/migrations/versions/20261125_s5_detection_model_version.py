"""The recognition model version of each detection (R22: corrections counted per model version).

Revision ID: s5modelversion
Revises: s4agencysettings
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "s5modelversion"
down_revision: str | None = "s4agencysettings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On the partitioned parent: every day partition, existing and future, gets the column.
    op.execute("ALTER TABLE search.detections ADD COLUMN model_version varchar(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE search.detections DROP COLUMN model_version")
