"""The outbox of ledger events of this service's changes (issue 16): written in the change's
own transaction, sent by the outbox dispatcher.

Revision ID: sh2outboxmessages
Revises: sh1sharing
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

from alpr_common import create_outbox_table, drop_outbox_table

revision: str = "sh2outboxmessages"
down_revision: str | None = "sh1sharing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_table(op, "sharing", "outbox_messages")


def downgrade() -> None:
    drop_outbox_table(op, "sharing", "outbox_messages")
