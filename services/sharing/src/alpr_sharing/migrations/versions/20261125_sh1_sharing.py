"""Partner agencies, MOUs, requests.

Revision ID: sh1sharing
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "sh1sharing"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATEMENTS = (
    """
    CREATE TABLE sharing.agencies (
        ori varchar(32) PRIMARY KEY,
        name varchar(200) NOT NULL,
        state varchar(2) NOT NULL,
        kind varchar(24) NOT NULL CHECK (kind IN ('law_enforcement', 'prosecutorial', 'other')),
        federal boolean NOT NULL,
        client_ids varchar(256)[] NOT NULL,
        contacts jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_by jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX ix_agencies_client_ids ON sharing.agencies USING gin (client_ids)",
    """
    CREATE TABLE sharing.mous (
        id uuid PRIMARY KEY,
        host_agency varchar(32) NOT NULL,
        agency_ori varchar(32) NOT NULL REFERENCES sharing.agencies (ori),
        effective_from timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        purposes varchar(64)[] NOT NULL,
        share_hotlists boolean NOT NULL,
        max_results integer NOT NULL,
        terms text NOT NULL,
        state varchar(16) NOT NULL CHECK (state IN ('draft', 'active', 'suspended')),
        history jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_by jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK (effective_from < expires_at)
    )
    """,
    "CREATE INDEX ix_mous_partner ON sharing.mous (agency_ori, host_agency, state)",
    """
    CREATE TABLE sharing.requests (
        id uuid PRIMARY KEY,
        host_agency varchar(32) NOT NULL,
        agency_ori varchar(32) NOT NULL,
        mou_id uuid REFERENCES sharing.mous (id),
        requester_name varchar(200) NOT NULL,
        filed_by jsonb NOT NULL,
        purpose varchar(64) NOT NULL,
        case_number varchar(64),
        scope jsonb NOT NULL,
        exigent boolean NOT NULL,
        justification text,
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'refused')),
        refusal_reason varchar(64),
        refusal_detail text,
        decided_by jsonb,
        decided_at timestamptz,
        decision_note text,
        released_count integer NOT NULL DEFAULT 0,
        last_released_at timestamptz,
        created_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX ix_requests_host ON sharing.requests (host_agency, created_at)",
    "CREATE INDEX ix_requests_partner ON sharing.requests (agency_ori, created_at)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("requests", "mous", "agencies"):
        op.execute(f"DROP TABLE sharing.{table}")
