"""Search requests (issue 17, warrant-style tiers): a supervisor's prior approval of one search,
valid once and for a limited time; its use is recorded on the row by the search that used it.
"""

from alembic import op

revision: str = "s7searchrequests"
down_revision: str | None = "s6outboxmessages"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search.search_requests (
            id uuid PRIMARY KEY,
            agency varchar(32) NOT NULL,
            requester_sub varchar(256) NOT NULL,
            requested_by jsonb NOT NULL,
            purpose varchar(64) NOT NULL,
            case_number varchar(64),
            reason text,
            justification text NOT NULL,
            criteria jsonb NOT NULL,
            digest varchar(64) NOT NULL,
            tiers jsonb NOT NULL,
            status varchar(16) NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
            created_at timestamptz NOT NULL,
            decided_by jsonb,
            decided_at timestamptz,
            decision_note text,
            expires_at timestamptz,
            used_at timestamptz,
            used_by_search uuid,
            CHECK (used_at IS NULL OR status = 'approved')
        )
        """
    )
    op.execute(
        "CREATE INDEX search_requests_agency_created ON search.search_requests (agency, created_at DESC)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE search.search_requests")
