"""The audit service's tables (schema ``audit``). The ledger keeps each event as the exact
canonical JSON that was hashed; every queryable field is derived from it by PostgreSQL, so no
column can be changed apart from the hashed text."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from alpr_common import agency_column, id_column, moment_column
from alpr_common.migrations import NULLABLE_JSONB, service_metadata

metadata = service_metadata("audit")

ledger = Table(
    "ledger",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("canonical", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("event", JSONB, Computed("canonical::jsonb", persisted=True)),
    # One row per event id (issue 16): a retried append finds its first row instead. Written by
    # the appender from the same event as the text; verification checks that they agree.
    Column("event_id", Uuid),
    Index("uq_ledger_event_id", "event_id", unique=True),
)

# Where the chain starts: genesis, or the last pruned event's sequence and hash (R20).
ledger_base = Table(
    "ledger_base",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    moment_column("created_at"),
    Column("signature", Text, nullable=False),
    Column("public_key", Text, nullable=False),
)

sample_audits = Table(
    "sample_audits",
    metadata,
    id_column(),
    agency_column(index=True),
    moment_column("created_at"),
    Column("created_by", JSONB, nullable=False),
    moment_column("period_from"),
    moment_column("period_to"),
    Column("requested", Integer, nullable=False),
    Column("available", Integer, nullable=False),
    # Scheduled audits (R35): the period they are for, the cadence that made them, when due.
    # Null for an audit an auditor started by hand.
    moment_column("period_start", nullable=True),
    moment_column("due_at", nullable=True),
    Column("cadence", String(40)),
    Index(
        "uq_sample_audits_agency_period",
        "agency",
        "period_start",
        unique=True,
        postgresql_where=text("period_start IS NOT NULL"),
    ),
)

sample_audit_items = Table(
    "sample_audit_items",
    metadata,
    Column("audit_id", Uuid, ForeignKey("audit.sample_audits.id"), primary_key=True),
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, nullable=False),
    Column("finding", String(16)),
    Column("note", Text),
    # R35: a data error found in this record, to be corrected (listed in the memo).
    Column("correction", Text),
    Column("recorded_by", NULLABLE_JSONB),
    moment_column("recorded_at", nullable=True),
)
