"""Production mode (``ALPR_ENV=production``, issue 19): a service whose settings lack a secret it
needs, keep a demo default or name a plain ``http://`` issuer refuses to start, with one line that
names the setting; development (the default) still starts with the defaults. The rules are read
from the environment, as the services read them."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from alpr_audit.checkpoints.signing import generate_key, private_key_b64
from alpr_common import ServiceSettings
from alpr_common._settings import SettingsError

SERVICES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")

SIGNING_KEY = private_key_b64(generate_key())


def production_env(service: str) -> dict[str, str]:
    """A complete production configuration of one service: each variable is one it needs."""
    prefix = service.upper()
    env = {
        "ALPR_ENV": "production",
        "OIDC_ISSUER": "https://sso.agency.example/realms/alpr",
        f"{prefix}_CLIENT_ID": f"svc-{service}",
        f"{prefix}_CLIENT_SECRET": "client-secret-value",
    }
    if service != "recognition":  # the one service without a database
        env["DATABASE_URL"] = "postgresql://alpr:db-password@db.agency.example:5432/alpr"
    if service in ("ingest", "hotlist", "search"):  # the services that use the object store
        env |= {
            "S3_ENDPOINT": "https://minio.agency.example:9000",
            "S3_ACCESS_KEY": "access-key-value",
            "S3_SECRET_KEY": "s3-secret-value",
        }
    if service == "audit":
        env |= {"AUDIT_SIGNING_KEY": SIGNING_KEY, "AUDIT_PUBLIC_AGENCY": "CA0010900"}
    return env


def settings_class(service: str) -> type[ServiceSettings]:
    cls: type[ServiceSettings] = import_module(f"alpr_{service}.settings").Settings
    return cls


def in_production(environ: pytest.MonkeyPatch, service: str) -> None:
    """Sets the service's complete production configuration (``production_env``)."""
    for key, value in production_env(service).items():
        environ.setenv(key, value)


def refusal(service: str) -> str:
    """Why the service's settings, read from the environment, refuse to start."""
    with pytest.raises(SettingsError) as refused:
        settings_class(service)()
    return str(refused.value)


@pytest.mark.parametrize("service", SERVICES)
def test_development_is_the_default_and_starts_with_the_defaults(
    environ: pytest.MonkeyPatch, service: str
) -> None:
    settings = settings_class(service)()
    assert settings.alpr_env == "development"
    assert settings.oidc_issuer.startswith("http://")  # the development issuer is fine here
    assert not settings.client_secret.get_secret_value()
    environ.setenv("ALPR_ENV", "development")
    assert settings_class(service)().alpr_env == "development"


@pytest.mark.parametrize("service", SERVICES)
def test_a_complete_production_configuration_starts(environ: pytest.MonkeyPatch, service: str) -> None:
    in_production(environ, service)
    settings = settings_class(service)()
    assert settings.alpr_env == "production"


@pytest.mark.parametrize(
    ("service", "missing"),
    [(service, key) for service in SERVICES for key in production_env(service) if key != "ALPR_ENV"],
)
def test_each_refusal_names_the_setting(environ: pytest.MonkeyPatch, service: str, missing: str) -> None:
    in_production(environ, service)
    environ.delenv(missing)
    message = refusal(service)
    assert missing in message
    assert message.startswith(f"alpr_{service}: ALPR_ENV=production refuses to start: ")
    assert "\n" not in message
    # Only that one: every other named variable is set.
    for key in production_env(service):
        if key not in (missing, "ALPR_ENV"):
            assert key not in message.replace(missing, ""), key
    # The message names settings, never their values.
    for value in production_env(service).values():
        if value != "production":
            assert value not in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OIDC_ISSUER", "http://sso.agency.example/realms/alpr"),
        ("OIDC_ISSUER", "HTTP://sso.agency.example/realms/alpr"),
        ("OIDC_JWKS_URL", "http://sso.agency.example/realms/alpr/certs"),
    ],
)
def test_a_plain_http_issuer_is_refused(environ: pytest.MonkeyPatch, variable: str, value: str) -> None:
    in_production(environ, "search")
    environ.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"{variable} must be an https:// URL, not http://"):
        settings_class("search")()
    environ.setenv(variable, value.replace("http://", "https://").replace("HTTP://", "https://"))
    assert settings_class("search")().alpr_env == "production"


def test_an_unknown_environment_is_refused_by_name(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("ALPR_ENV", "prod")
    with pytest.raises(
        SettingsError, match="^alpr_sharing: ALPR_ENV: Input should be 'development' or 'production'"
    ):
        settings_class("sharing")()


@pytest.mark.parametrize(
    ("service", "env", "named"),
    [
        pytest.param(
            "ingest",
            production_env("ingest") | {"S3_SECRET_KEY": "  ", "INGEST_CLIENT_SECRET": ""},
            ["S3_SECRET_KEY is not set", "INGEST_CLIENT_SECRET is not set"],
            id="empty secrets count as missing",
        ),
        pytest.param(
            "audit",
            {"AUDIT_RETENTION_DAYS": "365", "DATABASE_POOL_SIZE": "0"},
            [
                "AUDIT_RETENTION_DAYS: Input should be greater than or equal to 730",
                "DATABASE_POOL_SIZE: Input should be greater than or equal to 1",
            ],
            id="other invalid settings name their variable",
        ),
    ],
)
def test_each_invalid_setting_is_named(
    environ: pytest.MonkeyPatch, service: str, env: dict[str, str], named: list[str]
) -> None:
    for key, value in env.items():
        environ.setenv(key, value)
    message = refusal(service)
    for line in named:
        assert line in message


def test_settings_given_in_code_follow_the_same_rules(environ: pytest.MonkeyPatch) -> None:
    """The test stack and tools build settings from keyword arguments: production applies too."""
    with pytest.raises(SettingsError, match="SHARING_CLIENT_SECRET is not set"):
        settings_class("sharing")(
            alpr_env="production",
            database_url="postgresql://db/alpr",
            oidc_issuer="https://sso.agency.example",
            client_id="svc-sharing",
        )


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``args`` run in ``cwd`` with ``env`` over this process's environment, which the test's
    ``environ`` fixture has cleared of settings."""
    return subprocess.run(
        args, env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.usefixtures("environ")
def test_a_service_without_its_signing_key_exits_with_one_line(tmp_path: Path) -> None:
    env = production_env("audit")
    del env["AUDIT_SIGNING_KEY"]
    proc = _start(
        [sys.executable, "-m", "uvicorn", "--factory", "alpr_audit.app:create_app", "--port", "0"],
        env,
        tmp_path,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "AUDIT_SIGNING_KEY is not set" in lines[0]
    assert lines[0].startswith("alpr_audit: ALPR_ENV=production refuses to start")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "client-secret-value" not in proc.stderr


@pytest.mark.usefixtures("environ")
def test_the_cli_exits_with_one_line(tmp_path: Path) -> None:
    env = production_env("search")
    del env["SEARCH_CLIENT_SECRET"]
    alpr = Path(sys.executable).with_name("alpr")
    proc = _start([str(alpr), "search", "purge", "--dry-run"], env, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "alpr_search: ALPR_ENV=production refuses to start: SEARCH_CLIENT_SECRET is not set"
    ]
    assert "Traceback" not in proc.stdout
