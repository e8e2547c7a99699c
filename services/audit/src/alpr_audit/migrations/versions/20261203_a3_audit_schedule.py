"""Audits on schedule and their memo (issue 17, item 4; R21, R35): a scheduled audit carries the
period it is for, its cadence and its due date; one audit per agency and period (the scheduler
may run twice); each finding may name a data error to correct, which the memo lists.
"""

from alembic import op

revision: str = "a3schedule"
down_revision: str | None = "a2eventid"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE audit.sample_audits "
        "ADD COLUMN period_start timestamptz, "
        "ADD COLUMN due_at timestamptz, "
        "ADD COLUMN cadence varchar(40)"
    )
    # A scheduled audit is the only one of its agency and period, whoever runs the scheduler.
    op.execute(
        "CREATE UNIQUE INDEX uq_sample_audits_agency_period ON audit.sample_audits (agency, period_start) "
        "WHERE period_start IS NOT NULL"
    )
    op.execute("ALTER TABLE audit.sample_audit_items ADD COLUMN correction text")


def downgrade() -> None:
    op.execute("ALTER TABLE audit.sample_audit_items DROP COLUMN IF EXISTS correction")
    op.execute("DROP INDEX IF EXISTS audit.uq_sample_audits_agency_period")
    op.execute(
        "ALTER TABLE audit.sample_audits "
        "DROP COLUMN IF EXISTS cadence, DROP COLUMN IF EXISTS due_at, DROP COLUMN IF EXISTS period_start"
    )
