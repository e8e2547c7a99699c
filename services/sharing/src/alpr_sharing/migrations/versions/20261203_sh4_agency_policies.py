"""Agency policy versions (issue 17): each change of an agency's own rules is a new row; rows
are never deleted, and only a pending one's decision is ever written after it is made.
"""

from alembic import op

revision: str = "sh4agencypolicies"
down_revision: str | None = "sh3notificationsonoutbox"

STATEMENTS = (
    """
    CREATE TABLE sharing.agency_policies (
        agency varchar(32) NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        policy jsonb NOT NULL,
        reason text NOT NULL,
        effective_from timestamptz NOT NULL,
        loosens varchar(64)[] NOT NULL,
        decision varchar(16) NOT NULL CHECK (decision IN ('pending', 'approved', 'rejected')),
        in_force_from timestamptz,
        proposed_by jsonb NOT NULL,
        proposed_at timestamptz NOT NULL,
        decided_by jsonb,
        decided_at timestamptz,
        decision_note text,
        CONSTRAINT pk_agency_policies PRIMARY KEY (agency, version),
        CONSTRAINT ck_agency_policies_in_force_when_approved
            CHECK ((decision = 'approved') = (in_force_from IS NOT NULL))
    )
    """,
    """
    CREATE INDEX ix_agency_policies_in_force ON sharing.agency_policies (agency, in_force_from)
    WHERE decision = 'approved'
    """,
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE sharing.agency_policies")
