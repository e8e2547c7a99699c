"""Alembic environment of the ingest service (schema ``ingest``)."""

from alpr_common.migrations import run_env, service_metadata

# Table models register on this metadata as the service's domain issue adds them.
target_metadata = service_metadata("ingest")

run_env("ingest", target_metadata)
