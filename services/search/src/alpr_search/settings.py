"""Settings of the search service: its own carry the ``SEARCH_`` prefix."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from alpr_common import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore", populate_by_name=True)
