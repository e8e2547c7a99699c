"""Alembic environment of the sharing service (schema ``sharing``)."""

from alpr_common.migrations import run_env
from alpr_sharing.tables import metadata as target_metadata

run_env("sharing", target_metadata)
