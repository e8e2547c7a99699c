"""Settings shared by every service: connection settings are unprefixed
(``DATABASE_URL``, ``S3_*``, ``OIDC_*``); a service's own settings carry its prefix."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base of each service's one settings class.

    Subclasses set ``model_config = SettingsConfigDict(env_prefix="SEARCH_")``; the fields
    declared here keep their unprefixed environment names through their aliases.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Shared connections (unprefixed).
    database_url: str = Field("postgresql://postgres@127.0.0.1:5433/alpr", validation_alias="DATABASE_URL")
    database_pool_size: int = Field(5, ge=1, validation_alias="DATABASE_POOL_SIZE")
    # Test each pooled connection before use (one round trip per request). Off by default: after
    # a database restart one request per process meets the dead connection and gets 503 with
    # Retry-After (the pool is then refreshed); callers retry.
    database_pre_ping: bool = Field(False, validation_alias="DATABASE_PRE_PING")
    # A role every connection of this service takes on (prefixed: AUDIT_DATABASE_ROLE, ...).
    database_role: str | None = None
    s3_endpoint: str = Field("http://127.0.0.1:8333", validation_alias="S3_ENDPOINT")
    s3_access_key: str = Field("", validation_alias="S3_ACCESS_KEY")
    s3_secret_key: SecretStr = Field(SecretStr(""), validation_alias="S3_SECRET_KEY")
    s3_bucket: str = Field("alpr", validation_alias="S3_BUCKET")
    s3_region: str = Field("us-east-1", validation_alias="S3_REGION")

    oidc_issuer: str = Field("http://127.0.0.1:8000", validation_alias="OIDC_ISSUER")
    oidc_audience: str = Field("alpr", validation_alias="OIDC_AUDIENCE")
    # "roles" for the development issuer, "realm_access.roles" for Keycloak.
    oidc_roles_claim: str = Field("roles", validation_alias="OIDC_ROLES_CLAIM")
    oidc_jwks_url: str | None = Field(None, validation_alias="OIDC_JWKS_URL")
    oidc_leeway_s: int = Field(5, ge=0, le=300, validation_alias="OIDC_LEEWAY_S")
    oidc_jwks_cache_s: int = Field(3600, ge=0, validation_alias="OIDC_JWKS_CACHE_S")
    # A kid still unknown right after a refresh does not trigger another for this long.
    oidc_jwks_refresh_cooldown_s: float = Field(10.0, ge=0, validation_alias="OIDC_JWKS_REFRESH_COOLDOWN_S")

    ingest_url: str = Field("http://127.0.0.1:8001", validation_alias="INGEST_URL")
    recognition_url: str = Field("http://127.0.0.1:8002", validation_alias="RECOGNITION_URL")
    hotlist_url: str = Field("http://127.0.0.1:8003", validation_alias="HOTLIST_URL")
    search_url: str = Field("http://127.0.0.1:8004", validation_alias="SEARCH_URL")
    audit_url: str = Field("http://127.0.0.1:8005", validation_alias="AUDIT_URL")
    sharing_url: str = Field("http://127.0.0.1:8006", validation_alias="SHARING_URL")

    cors_origins: str = Field("", validation_alias="CORS_ORIGINS")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="LOG_JSON")

    # The service's own machine identity (prefixed: SEARCH_CLIENT_ID, ...), used for
    # client-credentials tokens when it calls another service.
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
