"""Settings of the sharing service: its own carry the ``SHARING_`` prefix."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from alpr_common import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHARING_", extra="ignore", populate_by_name=True)
