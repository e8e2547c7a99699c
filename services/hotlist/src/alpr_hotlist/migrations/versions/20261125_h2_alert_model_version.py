"""The recognition model version of the read behind each alert (R22: misreads counted per
camera and per model version).
"""

from alembic import op

revision: str = "h2alertmodelversion"
down_revision: str | None = "h1hotlist"


def upgrade() -> None:
    op.execute("ALTER TABLE hotlist.alerts ADD COLUMN model_version varchar(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE hotlist.alerts DROP COLUMN model_version")
