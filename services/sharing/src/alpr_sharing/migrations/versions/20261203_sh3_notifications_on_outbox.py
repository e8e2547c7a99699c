"""Partner notifications are sent by the outbox engine (issue 16): every notification still
pending gets its outbox message (the same id as its ``webhook-id``).

Revision ID: sh3notificationsonoutbox
Revises: sh2outboxmessages
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "sh3notificationsonoutbox"
down_revision: str | None = "sh2outboxmessages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO sharing.outbox_messages (message_id, topic, payload, attempts, available_at)
        SELECT CAST(substr(message_id, 5) AS uuid), 'notification', jsonb_build_object('notification_id', id),
            attempts, next_attempt_at
        FROM sharing.notifications
        WHERE status = 'pending'
        ORDER BY id
        ON CONFLICT (message_id) DO NOTHING
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM sharing.outbox_messages WHERE topic = 'notification'")
