"""Alembic environment of the search service (schema ``search``)."""

from alpr_common.migrations import run_env, service_metadata

# Table models register on this metadata as the service's domain issue adds them.
target_metadata = service_metadata("search")

run_env("search", target_metadata)
