"""Ledger, checkpoints and sample audits; append-only enforced by triggers and privileges."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a1ledger"
down_revision: str | None = None

WRITER = "alpr_audit_writer"
APPEND_ONLY = ("ledger", "ledger_base", "checkpoints")


def upgrade() -> None:
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{WRITER}') "
        f"THEN CREATE ROLE {WRITER} NOLOGIN; END IF; END $$"
    )
    op.create_table(
        "ledger",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("event", postgresql.JSONB(), sa.Computed("canonical::jsonb", persisted=True)),
        sa.PrimaryKeyConstraint("sequence", name="pk_ledger"),
        schema="audit",
    )
    # Expression indexes for the auditors' filters (R4 fields).
    for name, expr in (
        ("action", "(event->>'action'), sequence"),
        ("actor_sub", "(event->'actor'->>'sub'), sequence"),
        ("agency", "(event->>'agency'), sequence"),
        ("plate", "(event->'data'->>'plate')"),
        ("case_number", "(event->>'case_number')"),
    ):
        op.execute(f"CREATE INDEX ix_ledger_{name} ON audit.ledger ({expr})")
    op.create_table(
        "ledger_base",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_base"),
        schema="audit",
    )
    op.create_table(
        "checkpoints",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name="pk_checkpoints"),
        schema="audit",
    )
    op.create_table(
        "sample_audits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", postgresql.JSONB(), nullable=False),
        sa.Column("period_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sample_audits"),
        schema="audit",
    )
    op.create_index("ix_sample_audits_agency", "sample_audits", ["agency"], schema="audit")
    op.create_table(
        "sample_audit_items",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(16)),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by", postgresql.JSONB()),
        sa.Column("recorded_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit.sample_audits.id"], name="fk_sample_audit_items_audit_id_sample_audits"
        ),
        sa.PrimaryKeyConstraint("audit_id", "sequence", name="pk_sample_audit_items"),
        schema="audit",
    )
    # R20/R30: nobody changes or removes ledger rows. Pruning past retention is the one
    # exception: audit.prune_ledger() (owner's rights) marks its own transaction.
    op.execute(
        """
        CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('ledger', 'checkpoints')
             AND current_setting('alpr.audit_prune', true) = 'on' THEN
            RETURN OLD;
          END IF;
          IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'ledger_base'
             AND current_setting('alpr.audit_prune', true) = 'on' THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'audit.% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON audit.{table} "
            "FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON audit.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()"
        )
    op.execute(
        """
        CREATE FUNCTION audit.prune_ledger(before_sequence bigint) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = audit, pg_temp AS $$
        DECLARE
          last_row audit.ledger%ROWTYPE;
          removed bigint;
        BEGIN
          -- Only from the chain's beginning, only up to a signed checkpoint.
          IF NOT EXISTS (SELECT 1 FROM audit.checkpoints WHERE sequence = before_sequence) THEN
            RAISE EXCEPTION 'pruning must end at a signed checkpoint';
          END IF;
          SELECT * INTO last_row FROM audit.ledger WHERE sequence = before_sequence;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'sequence % is not in the ledger', before_sequence;
          END IF;
          -- R20: audit records are kept at least two years, whatever the service is told.
          IF (last_row.event->>'recorded_at')::timestamptz > now() - interval '730 days' THEN
            RAISE EXCEPTION 'audit records younger than two years are kept (R20)';
          END IF;
          PERFORM set_config('alpr.audit_prune', 'on', true);
          DELETE FROM audit.ledger WHERE sequence <= before_sequence;
          GET DIAGNOSTICS removed = ROW_COUNT;
          INSERT INTO audit.ledger_base (id, sequence, hash) VALUES (1, last_row.sequence, last_row.hash)
            ON CONFLICT (id) DO UPDATE SET sequence = EXCLUDED.sequence, hash = EXCLUDED.hash;
          PERFORM set_config('alpr.audit_prune', 'off', true);
          RETURN removed;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION audit.prune_ledger(bigint) FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA audit TO {WRITER}")
    op.execute(f"GRANT SELECT, INSERT ON audit.ledger, audit.ledger_base, audit.checkpoints TO {WRITER}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit.sample_audits, audit.sample_audit_items TO {WRITER}")
    op.execute(f"GRANT EXECUTE ON FUNCTION audit.prune_ledger(bigint) TO {WRITER}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS audit.prune_ledger(bigint)")
    op.drop_table("sample_audit_items", schema="audit")
    op.drop_table("sample_audits", schema="audit")
    for table in reversed(APPEND_ONLY):
        op.execute(f"DROP TABLE audit.{table}")
    op.execute("DROP FUNCTION IF EXISTS audit.refuse_change()")
    op.execute(f"REVOKE ALL ON SCHEMA audit FROM {WRITER}")
