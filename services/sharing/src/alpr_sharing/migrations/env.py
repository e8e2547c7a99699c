"""Alembic environment of the sharing service (schema ``sharing``)."""

from alpr_common.migrations import run_env, service_metadata

# Table models register on this metadata as the service's domain issue adds them.
target_metadata = service_metadata("sharing")

run_env("sharing", target_metadata)
