"""The disposition of each alert (R14): what came of it (no action, a stop, an arrest, the
vehicle recovered, a misread), recorded by the move that confirms or closes it. Alerts closed as
misread before this revision take `misread`; other final alerts keep none (not recorded then).
"""

from alembic import op

revision: str = "h6alertdisposition"
down_revision: str | None = "h5streamtickets"


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE hotlist.alerts ADD COLUMN disposition varchar(24),
            ADD CONSTRAINT ck_alerts_disposition CHECK (
                disposition IN ('no_action', 'stop', 'arrest', 'vehicle_recovered', 'misread')
            )
        """
    )
    op.execute("UPDATE hotlist.alerts SET disposition = 'misread' WHERE state = 'misread'")


def downgrade() -> None:
    op.execute("ALTER TABLE hotlist.alerts DROP COLUMN disposition")
