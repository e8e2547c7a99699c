"""Webhook deliveries are sent by the outbox engine (issue 16): every delivery still pending
gets its outbox message (the same id as its ``webhook-id``).

Revision ID: h4webhooksonoutbox
Revises: h3outboxmessages
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "h4webhooksonoutbox"
down_revision: str | None = "h3outboxmessages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO hotlist.outbox_messages (message_id, topic, payload, attempts, available_at)
        SELECT CAST(substr(message_id, 5) AS uuid), 'webhook', jsonb_build_object('delivery_id', id),
            attempts, next_attempt_at
        FROM hotlist.deliveries
        WHERE status = 'pending'
        ORDER BY id
        ON CONFLICT (message_id) DO NOTHING
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM hotlist.outbox_messages WHERE topic = 'webhook'")
