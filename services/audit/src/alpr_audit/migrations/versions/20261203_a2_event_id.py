"""Event identity (issue 16): each ledger row's ``event_id`` (the one in its hashed text, written
beside it by the appender; verification checks that they agree) is unique, so a retried append
finds the first row instead of adding a second.
"""

from alembic import op

revision: str = "a2eventid"
down_revision: str | None = "a1ledger"


def upgrade() -> None:
    # Rows recorded before ids existed have none (NULL): the unique index skips them. A plain
    # column, not one generated from the text: parsing the JSON a second time on every append
    # cost more than the whole check may (issue 16: at most 10% of the append rate).
    op.execute("ALTER TABLE audit.ledger ADD COLUMN event_id uuid")
    op.execute("CREATE UNIQUE INDEX uq_ledger_event_id ON audit.ledger (event_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS audit.uq_ledger_event_id")
    op.execute("ALTER TABLE audit.ledger DROP COLUMN IF EXISTS event_id")
