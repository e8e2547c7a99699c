"""Alembic environment of the search service (schema ``search``)."""

from alpr_common.migrations import run_env
from alpr_search.tables import metadata as target_metadata

run_env("search", target_metadata)
