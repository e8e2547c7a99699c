"""The sharing service's tables (schema ``sharing``): partner agencies, MOUs, and the written
requests with their decisions and releases (kept on file, R24)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from alpr_common import agency_column, delivery_log_table, id_column, moment_column, outbox_table, timestamps
from alpr_common.migrations import NULLABLE_JSONB, service_metadata

metadata = service_metadata("sharing")


def _authored() -> list[Column[object]]:
    """Who created a record and when, and when it last changed."""
    return [
        Column("created_by", JSONB, nullable=False),
        *timestamps(),
    ]


agencies = Table(
    "agencies",
    metadata,
    Column("ori", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("state", String(2), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("federal", Boolean, nullable=False),
    Column("client_ids", ARRAY(String(256)), nullable=False),
    Column("contacts", JSONB, nullable=False),
    Column("webhook_url", Text),
    Column("webhook_secret", Text),
    Column("registered_by_agency", String(32), nullable=False),
    *_authored(),
)

mous = Table(
    "mous",
    metadata,
    id_column(),
    Column("host_agency", String(32), nullable=False),
    Column("agency_ori", String(32), ForeignKey("sharing.agencies.ori"), nullable=False),
    moment_column("effective_from"),
    moment_column("expires_at"),
    Column("purposes", ARRAY(String(64)), nullable=False),
    Column("share_hotlists", Boolean, nullable=False),
    Column("max_results", Integer, nullable=False),
    Column("terms", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("history", JSONB, nullable=False),
    *_authored(),
)

requests = Table(
    "requests",
    metadata,
    id_column(),
    Column("host_agency", String(32), nullable=False),
    Column("agency_ori", String(32), nullable=False),
    Column("mou_id", Uuid),
    Column("requester_name", String(200), nullable=False),
    Column("filed_by", JSONB, nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("case_number", String(64)),
    Column("scope", JSONB, nullable=False),
    Column("exigent", Boolean, nullable=False),
    Column("justification", Text),
    Column("status", String(16), nullable=False),
    Column("refusal_reason", String(64)),
    Column("refusal_detail", Text),
    Column("decided_by", NULLABLE_JSONB),
    moment_column("decided_at", nullable=True),
    Column("decision_note", Text),
    Column("released_count", Integer, nullable=False),
    moment_column("last_released_at", nullable=True),
    moment_column("created_at"),
)

notifications = delivery_log_table(
    metadata,
    "notifications",
    Column("agency_ori", String(32), ForeignKey("sharing.agencies.ori"), nullable=False),
    Column("request_id", Uuid, nullable=False),
)

# Issue 17: each agency's own rules, one row per version (``policy`` is an ``AgencyPolicy``).
agency_policies = Table(
    "agency_policies",
    metadata,
    agency_column(primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("policy", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    moment_column("effective_from"),
    Column("loosens", ARRAY(String(64)), nullable=False),
    Column("decision", String(16), nullable=False),
    moment_column("in_force_from", nullable=True),
    Column("proposed_by", JSONB, nullable=False),
    moment_column("proposed_at"),
    Column("decided_by", NULLABLE_JSONB),
    moment_column("decided_at", nullable=True),
    Column("decision_note", Text),
)

# Ledger events of this service's changes, written in the change's transaction (issue 16).
outbox_messages = outbox_table(metadata, "outbox_messages")
