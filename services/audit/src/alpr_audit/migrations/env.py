"""Alembic environment of the audit service (schema ``audit``)."""

from alpr_audit.tables import metadata as target_metadata
from alpr_common.migrations import run_env

run_env("audit", target_metadata)
