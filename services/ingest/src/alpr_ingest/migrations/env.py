"""Alembic environment of the ingest service (schema ``ingest``)."""

from alpr_common.migrations import run_env
from alpr_ingest.tables import metadata as target_metadata

run_env("ingest", target_metadata)
