"""Alembic environment of the audit service (schema ``audit``)."""

from alpr_common.migrations import run_env, service_metadata

# Table models register on this metadata as the service's domain issue adds them.
target_metadata = service_metadata("audit")

run_env("audit", target_metadata)
