"""One-time tickets that open the alert stream from a browser (issue 18): a browser's
EventSource cannot send a bearer token. Only each ticket's SHA-256 is stored, with the principal
it was issued to; a ticket is deleted when it is used, and expired ones when new ones are issued.
"""

from alembic import op

revision: str = "h5streamtickets"
down_revision: str | None = "h4webhooksonoutbox"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE hotlist.stream_tickets (
            ticket_hash bytea NOT NULL,
            sub varchar(255) NOT NULL,
            name text NOT NULL,
            agency varchar(32) NOT NULL,
            roles text[] NOT NULL,
            client_id text,
            badge varchar(64),
            training_expires date,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            CONSTRAINT pk_stream_tickets PRIMARY KEY (ticket_hash)
        )
        """
    )
    op.execute("CREATE INDEX ix_stream_tickets_expires_at ON hotlist.stream_tickets (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE hotlist.stream_tickets")
