"""Alembic environment of the hotlist service (schema ``hotlist``)."""

from alpr_common.migrations import run_env, service_metadata

# Table models register on this metadata as the service's domain issue adds them.
target_metadata = service_metadata("hotlist")

run_env("hotlist", target_metadata)
