"""The recognition model version of the read behind each alert (R22: misreads counted per
camera and per model version).

Revision ID: h2alertmodelversion
Revises: h1hotlist
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "h2alertmodelversion"
down_revision: str | None = "h1hotlist"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE hotlist.alerts ADD COLUMN model_version varchar(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE hotlist.alerts DROP COLUMN model_version")
