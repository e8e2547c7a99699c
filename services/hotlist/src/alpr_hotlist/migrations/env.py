"""Alembic environment of the hotlist service (schema ``hotlist``)."""

from alpr_common.migrations import run_env
from alpr_hotlist.tables import metadata as target_metadata

run_env("hotlist", target_metadata)
