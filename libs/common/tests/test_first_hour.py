"""A newcomer's first hour (issue 20, item 5): a setting that cannot be used stops the process
with one line naming it, not a traceback; a database that does not answer is logged once, not
several times a second; ``alpr --version`` answers."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from alpr_cli import build
from alpr_common import (
    OutboxDispatcher,
    OutboxHandler,
    OutboxSettings,
    ServiceSettings,
    _outbox,
    make_engine,
    outbox_table,
)
from alpr_common._settings import SettingsError
from alpr_devstack.alpr_command import run_alpr
from alpr_devstack.testing import Infra


class SearchSettings(ServiceSettings):
    """A service's settings, as each service declares them (its own prefix, the shared fields)."""

    model_config = SettingsConfigDict(env_prefix="SAMPLE_", extra="ignore", populate_by_name=True)


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("DATABASE_URL", "not a url", "not a database URL"),
        ("DATABASE_URL", "postgresql://alpr@db:port/alpr", "not a database URL"),
        ("DATABASE_URL", "mysql://alpr@db/alpr", "must be a postgresql:// URL"),
        ("DATABASE_URL", "postgresql://alpr@db:5432", "names no database"),
        ("S3_ENDPOINT", "minio:9000", "not a URL"),
        ("OIDC_ISSUER", "https://sso:443x/realms/alpr", "not a URL"),
        ("AUDIT_URL", "ftp://audit", "not a URL"),
    ],
)
def test_a_malformed_setting_is_refused_by_name(
    environ: pytest.MonkeyPatch, variable: str, value: str, why: str
) -> None:
    environ.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        SearchSettings()
    message = str(refused.value)
    assert message.startswith(f"{__name__.partition('.')[0]}: {variable}: {why}"), message
    assert value not in message  # a URL may hold a password: named, never shown


def test_good_urls_are_accepted(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("DATABASE_URL", "postgresql+asyncpg://alpr:pw@db.agency.example:5432/alpr")
    environ.setenv("S3_ENDPOINT", "https://minio.agency.example:9000")
    environ.setenv("OIDC_ISSUER", "https://sso.agency.example/realms/alpr")
    settings = SearchSettings()
    assert settings.database_url.endswith("/alpr")


@pytest.mark.usefixtures("environ")
def test_a_service_with_a_malformed_database_url_exits_naming_it() -> None:
    env = dict(os.environ)
    env["DATABASE_URL"] = "postgresql://alpr:secret-pw@db:port/alpr"
    proc = subprocess.run(
        [sys.executable, "-c", "from alpr_search.app import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "alpr_search: DATABASE_URL: not a database URL (postgresql://user@host:port/database)"
    )
    assert "Traceback" not in proc.stderr
    assert "secret-pw" not in proc.stderr


def test_alpr_version_names_the_installed_packages() -> None:
    result = CliRunner().invoke(build(), ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("alpr ")
    assert lines[0].split()[1][0].isdigit()
    assert any(line.strip().startswith("alpr-search ") for line in lines[1:])


def test_a_command_loads_only_its_own_group_and_help_lists_them_all() -> None:
    every = {group.name for group in build().registered_groups}
    assert {"audit", "db", "dev", "hotlist", "ingest", "outbox", "recognition", "search"} <= every
    assert {group.name for group in build(["dev", "up", "--detach"]).registered_groups} == {"dev"}
    assert {group.name for group in build(["--help"]).registered_groups} == every
    assert {group.name for group in build(["nosuch"]).registered_groups} == every


class _Nothing(BaseModel):
    n: int = 0


async def test_a_database_that_does_not_answer_is_logged_once_not_per_try(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Claims fail against a port where nothing listens: the dispatcher keeps trying (backing
    off) but logs the failure once, until it stops failing."""

    async def send(_: object) -> None:
        return None

    engine = make_engine("postgresql://nobody@127.0.0.1:1/none", application_name="first-hour")
    dispatcher = OutboxDispatcher(
        engine,
        outbox_table(MetaData(schema="nowhere")),
        {"topic": OutboxHandler(model=_Nothing, send=send)},
        OutboxSettings(poll_s=0.05),
    )
    # The module's own logger, recorded (a structlog logger cached by an earlier test in this
    # process would not see capture_logs).
    logs: list[dict[str, Any]] = []

    class _Recorder:
        def _record(self, event: str, **fields: Any) -> None:
            logs.append({"event": event, **fields})

        warning = info = error = _record

    monkeypatch.setattr(_outbox, "_log", _Recorder())
    running = asyncio.create_task(dispatcher.run())
    deadline = time.monotonic() + 30
    while dispatcher._claim_failures < 4 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await dispatcher.stop()
    await running
    await engine.dispose()
    assert dispatcher._claim_failures >= 4
    failed = [entry for entry in logs if entry["event"] == "outbox_claim_failed"]
    assert len(failed) == 1, failed
    assert failed[0]["failures_in_a_row"] == 1


@pytest.mark.parametrize("command", [("db", "upgrade"), ("outbox", "status", "--service", "hotlist")])
@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "DATABASE_URL is not set"),
        ("postgresql://alpr:secret-pw@db:port/alpr", "DATABASE_URL: not a database URL"),
        ("mysql://alpr:secret-pw@db/alpr", "DATABASE_URL: must be a postgresql:// URL"),
    ],
)
def test_a_command_on_the_database_alone_refuses_its_url_in_one_line(
    command: tuple[str, ...], value: str, why: str
) -> None:
    """``alpr db upgrade`` (the Helm hook Job) and ``alpr outbox`` read only DATABASE_URL; they
    check it as the services' settings do (they showed a traceback from the URL parser)."""
    refused = run_alpr(*command, env={**os.environ, "DATABASE_URL": value})
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]
    assert refused.stderr.startswith(f"alpr_common: {why}"), refused.stderr
    assert "secret-pw" not in refused.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [("outbox", "status", "--service", "ingest"), ("search", "purge", "--dry-run"), ("audit", "verify")],
)
def test_a_command_whose_database_is_down_missing_or_not_migrated_says_which(
    infra: Infra, command: tuple[str, ...]
) -> None:
    """A CronJob's command against a database that does not answer, does not exist or was never
    migrated: one line saying which and what to do, exit 1, the password never shown (each was a
    traceback of asyncpg and SQLAlchemy)."""
    server = make_url(infra.database_url)
    port = _free_port()
    down = f"postgresql://alpr:secret-pw@127.0.0.1:{port}/alpr"
    missing = server.set(database="alpr_no_such_db", password="secret-pw").render_as_string(
        hide_password=False
    )
    empty = infra.create_database("cli")
    cases = {
        down: f"alpr: cannot reach the database at 127.0.0.1:{port}/alpr (",
        missing: 'refused the connection: database "alpr_no_such_db" does not exist',
        empty: "is not set up for this command (",
    }
    for url, message in cases.items():
        env = {**os.environ, "DATABASE_URL": url, "AUDIT_SIGNING_KEY": base64.b64encode(bytes(32)).decode()}
        refused = run_alpr(*command, env=env)
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.strip().splitlines() == [refused.stderr.strip()], refused.stderr
        assert message in refused.stderr, refused.stderr
        assert "secret-pw" not in refused.stderr
    assert (
        "run `alpr db upgrade` against it first"
        in run_alpr(*command, env={**os.environ, "DATABASE_URL": empty}).stderr
    )
