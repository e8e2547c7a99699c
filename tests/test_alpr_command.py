"""The suite runs ``alpr`` as a fork of a process that imported it already
(``alpr_devstack.alpr_command``); what a command answers there is what the installed
executable answers: exit status, standard output and standard error, from the same arguments
and environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alpr_devstack.alpr_command import run_alpr

ALPR = str(Path(sys.executable).with_name("alpr"))


@pytest.mark.parametrize(
    ("args", "environment"),
    [
        (("--version",), {}),
        # Read from the environment given, refused on stderr with exit 2.
        (("db", "upgrade"), {"DATABASE_URL": "postgresql://alpr:secret-pw@db:port/alpr"}),
        # Typer's own usage error, drawn as wide as COLUMNS says.
        (("nosuch",), {"COLUMNS": "100"}),
        # A failure the command line explains: a database that does not answer, one line, exit 1.
        (
            ("outbox", "status", "--service", "hotlist"),
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        ),
        # An uncaught exception: the traceback (Python's, not typer's 40 KB drawing of it, 1.5 s
        # of CPU in each process) through sys.excepthook, exit 1. A disk that fills while the
        # predictions are written (/dev/full; the command does not explain that one).
        (
            ("recognition", "eval", "--labels", "labels.csv", "--images", ".", "--out", "/dev/full"),
            {"_TYPER_STANDARD_TRACEBACK": "1"},
        ),
    ],
)
def test_a_forked_run_answers_as_the_executable(
    args: tuple[str, ...], environment: dict[str, str], tmp_path: Path
) -> None:
    env = {**os.environ, **environment}
    (tmp_path / "labels.csv").write_text("filename,plate_text,x,y,w,h\n")
    real = subprocess.run([ALPR, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    forked = run_alpr(*args, env=env, cwd=tmp_path)
    assert (forked.returncode, forked.stdout, _from_cli(forked.stderr)) == (
        real.returncode,
        real.stdout,
        _from_cli(real.stderr),
    )
    assert real.stdout + real.stderr  # each case says something
    if "DATABASE_URL" in environment and real.returncode == 1:
        assert "alpr: cannot reach the database at 127.0.0.1:1/none (ConnectionRefusedError" in real.stderr
    elif real.returncode == 1:
        assert "Traceback (most recent call last):" in real.stderr, real.stderr
        assert real.stderr.rstrip().endswith("OSError: [Errno 28] No space left on device")


def _from_cli(stderr: str) -> str:
    """A traceback's first line, then its frames from ``alpr_cli.main``'s on: the frames below
    that one are the executable's script in one process and the fork's entry in the other.
    Anything else whole."""
    lines = stderr.splitlines()
    first = next((i for i, line in enumerate(lines) if "alpr_cli/__init__.py" in line), None)
    return stderr if first is None else "\n".join(lines[:1] + lines[first:])


def test_the_environment_given_is_the_whole_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable of the test's process that ``env`` leaves out is not seen by the command."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://alpr@db:5432/alpr")
    without = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    refused = run_alpr("db", "upgrade", env=without)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "alpr_common: DATABASE_URL is not set"
