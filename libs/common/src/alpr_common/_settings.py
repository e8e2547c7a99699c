"""Settings shared by every service: connection settings are unprefixed
(``DATABASE_URL``, ``S3_*``, ``OIDC_*``); a service's own settings carry its prefix.

``ALPR_ENV=production`` turns the development fallbacks into refusals: a service whose settings
lack a secret it needs, keep a demo default or name a plain ``http://`` issuer does not start,
and the one-line message names each setting (``SettingsError``)."""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AlprEnv = Literal["development", "production"]


class SettingsError(ValueError):
    """Settings a service cannot run with: one line that names each setting by its environment
    variable (never its value). ``refuses_start`` tells the ``alpr`` CLI to print the message
    and exit non-zero instead of showing a traceback; the app factories do the same through
    ``ServiceSettings.from_env``."""

    refuses_start = True


def env_name(cls: type[BaseSettings], field: str) -> str:
    """The environment variable of a settings field: its alias, else the class's prefix and the
    field's name (``AUDIT_SIGNING_KEY``). An alias given in place of a field is returned as is."""
    info = cls.model_fields.get(field)
    if info is None:
        return field
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    return f"{cls.model_config.get('env_prefix') or ''}{field}".upper()


def describe_errors(cls: type[BaseSettings], exc: ValidationError) -> str:
    """One line: each error with the environment variable it is about, no input values."""
    parts: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        cause = error.get("ctx", {}).get("error")
        message = str(cause) if error["type"] == "value_error" and cause is not None else error["msg"]
        loc = error["loc"]
        parts.append(f"{env_name(cls, str(loc[0]))}: {message}" if loc else message)
    return " ".join("; ".join(parts).split())


def check_database_url(value: str) -> str:
    """``value`` when it is a PostgreSQL URL naming a database; else a ``ValueError`` that says
    what is wrong without repeating it (a URL may hold a password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
        url.port  # noqa: B018 - a port that is not a number raises here
    except (ArgumentError, ValueError):
        raise ValueError("not a database URL (postgresql://user@host:port/database)") from None
    if url.get_backend_name() not in {"postgresql", "postgres"}:
        raise ValueError("must be a postgresql:// URL")
    if not url.database:
        raise ValueError("names no database (postgresql://user@host:port/database)")
    return value


def database_url_from_env() -> str:
    """``DATABASE_URL`` for a command that needs nothing else (``alpr db upgrade``, ``alpr
    outbox``), checked as every service's settings check it: unset or malformed, a
    ``SettingsError`` (the CLI prints its one line and exits 2), not a traceback from the first
    connection."""
    value = os.environ.get("DATABASE_URL", "")
    if not value:
        raise SettingsError(f"{__package__}: DATABASE_URL is not set")
    try:
        return check_database_url(value)
    except ValueError as exc:
        raise SettingsError(f"{__package__}: DATABASE_URL: {exc}") from None


def settings_config(env_prefix: str = "") -> SettingsConfigDict:
    """The configuration of every service's settings under its prefix: unknown variables are
    ignored and fields are set by name or alias. Stated whole in each subclass, so that a second
    base (``OutboundSettings``) does not bring back ``BaseSettings``' ``extra="forbid"``."""
    return SettingsConfigDict(env_prefix=env_prefix, extra="ignore", populate_by_name=True)


class ServiceSettings(BaseSettings):
    """Base of each service's one settings class.

    Subclasses set ``model_config = settings_config("SEARCH_")``; the fields
    declared here keep their unprefixed environment names through their aliases. A subclass
    says what its service needs (``uses_database``, ``uses_object_store``, ``calls_services``;
    a service that keeps objects inherits ``ObjectStoreSettings``) and adds its own production
    rules by extending ``production_problems``.
    """

    model_config = settings_config()

    # What the service needs, for the production rules.
    uses_database: ClassVar[bool] = True
    uses_object_store: ClassVar[bool] = False
    calls_services: ClassVar[bool] = True

    # "production" refuses the development fallbacks (see production_problems).
    alpr_env: AlprEnv = Field("development", validation_alias="ALPR_ENV")

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
    # A store that does not answer fails fast (ingest's upload is then 503): connecting and each
    # wait for the store's answer give up after S3_TIMEOUT_S; a failed request (timeout, refused
    # connection, 5xx) is tried again S3_RETRIES times.
    s3_timeout_s: float = Field(2.0, gt=0, le=60, validation_alias="S3_TIMEOUT_S")
    s3_retries: int = Field(1, ge=0, le=5, validation_alias="S3_RETRIES")

    oidc_issuer: str = Field("http://127.0.0.1:8000", validation_alias="OIDC_ISSUER")
    oidc_audience: str = Field("alpr", validation_alias="OIDC_AUDIENCE")
    # "roles" for the development issuer, "realm_access.roles" for Keycloak.
    oidc_roles_claim: str = Field("roles", validation_alias="OIDC_ROLES_CLAIM")
    oidc_jwks_url: str | None = Field(None, validation_alias="OIDC_JWKS_URL")
    oidc_leeway_s: int = Field(5, ge=0, le=300, validation_alias="OIDC_LEEWAY_S")
    # The JWKS is fetched again this often (and at once on an unknown kid), so a key the issuer
    # dropped stops verifying within minutes (issue 19); at most 15 minutes.
    oidc_jwks_cache_s: int = Field(300, ge=0, le=900, validation_alias="OIDC_JWKS_CACHE_S")
    # A kid still unknown right after a refresh does not trigger another for this long.
    oidc_jwks_refresh_cooldown_s: float = Field(10.0, ge=0, validation_alias="OIDC_JWKS_REFRESH_COOLDOWN_S")

    ingest_url: str = Field("http://127.0.0.1:8001", validation_alias="INGEST_URL")
    recognition_url: str = Field("http://127.0.0.1:8002", validation_alias="RECOGNITION_URL")
    hotlist_url: str = Field("http://127.0.0.1:8003", validation_alias="HOTLIST_URL")
    search_url: str = Field("http://127.0.0.1:8004", validation_alias="SEARCH_URL")
    audit_url: str = Field("http://127.0.0.1:8005", validation_alias="AUDIT_URL")
    sharing_url: str = Field("http://127.0.0.1:8006", validation_alias="SHARING_URL")

    # Edge limits (issue 19): a request body past its limit is 413, headers past theirs 431.
    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias="MAX_BODY_BYTES")
    max_upload_bytes: int = Field(25_000_000, ge=1024, validation_alias="MAX_UPLOAD_BYTES")
    max_header_bytes: int = Field(16_384, ge=1024, le=1_048_576, validation_alias="MAX_HEADER_BYTES")

    cors_origins: str = Field("", validation_alias="CORS_ORIGINS")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="LOG_JSON")

    # The service's own machine identity (prefixed: SEARCH_CLIENT_ID, ...), used for
    # client-credentials tokens when it calls another service.
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """A PostgreSQL URL that parses, or the process stops at start naming DATABASE_URL
        (issue 20: not a traceback from the first connection)."""
        return check_database_url(value)

    @field_validator(
        "s3_endpoint",
        "oidc_issuer",
        "ingest_url",
        "recognition_url",
        "hotlist_url",
        "search_url",
        "audit_url",
        "sharing_url",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        """An http(s) URL with a host (and a numeric port where one is given)."""
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - a port that is not a number raises here
        except ValueError:
            raise ValueError("not a URL (http(s)://host:port)") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("not a URL (http(s)://host:port)")
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @classmethod
    def package(cls) -> str:
        """The package that declares this settings class: the service's (``alpr_search``)."""
        return cls.__module__.partition(".")[0]

    def __init__(self, *args: Any, **values: Any) -> None:
        try:
            super().__init__(*args, **values)
        except ValidationError as exc:
            raise SettingsError(f"{self.package()}: {describe_errors(type(self), exc)}") from exc

    @classmethod
    def from_env(cls) -> Self:
        """The settings from the environment; settings the service cannot run with end the
        process with their one-line message on stderr and status 2, not a traceback (the app
        factories, which uvicorn calls, start with this)."""
        try:
            return cls()
        except SettingsError as exc:
            sys.stderr.write(f"{exc}\n")
            raise SystemExit(2) from None

    @model_validator(mode="after")
    def _refuse_development_fallbacks(self) -> Self:
        if self.alpr_env == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError("ALPR_ENV=production refuses to start: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What this configuration lacks to run in production, each naming its setting. A
        service's Settings extends it with its own rules (calling this first)."""
        cls = type(self)
        problems: list[str] = []
        if self.uses_database and "database_url" not in self.model_fields_set:
            problems.append("DATABASE_URL is not set (the default is the development stack's database)")
        if self.uses_object_store:
            if "s3_endpoint" not in self.model_fields_set:
                problems.append("S3_ENDPOINT is not set (the default is the development stack's store)")
            if not self.s3_access_key.strip():
                problems.append("S3_ACCESS_KEY is not set")
            if not self.s3_secret_key.get_secret_value().strip():
                problems.append("S3_SECRET_KEY is not set")
        if self.calls_services:
            # The service's identity for its calls to the other services.
            if not self.client_id.strip():
                problems.append(f"{env_name(cls, 'client_id')} is not set")
            if not self.client_secret.get_secret_value().strip():
                problems.append(f"{env_name(cls, 'client_secret')} is not set")
        for field in ("oidc_issuer", "oidc_jwks_url"):
            url: str | None = getattr(self, field)
            scheme = None if url is None else url.strip().partition("://")[0].lower()
            if scheme is not None and scheme != "https":
                problems.append(f"{env_name(cls, field)} must be an https:// URL, not {scheme}://")
        return problems


class ObjectStoreSettings(ServiceSettings):
    """Base of the settings of a service that keeps objects (images, crops) in the object store
    and hands them out as presigned URLs: production needs ``S3_ENDPOINT``, ``S3_ACCESS_KEY``
    and ``S3_SECRET_KEY`` besides the shared rules."""

    uses_object_store: ClassVar[bool] = True

    # How long a presigned URL of a stored object stays valid.
    presign_seconds: int = Field(300, ge=10, le=3600)
