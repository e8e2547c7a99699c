"""The ``alpr`` command as the tests run it: a process of its own, with its own environment,
working directory, output and exit status, forked from one that has imported the command line
already.

Starting ``alpr`` costs about 1.3 s of CPU before the command does anything (importing the
platform's packages); the suite ran it about forty times. A fork server (``multiprocessing``'s)
imports the command line and every installed group once per test worker; each run is then a
fork of it: what the command does (reading its settings from the environment it is given,
connecting, printing, exiting) is the installed command's own, in a child that shares nothing
with the test's process. The real executable is still run where the executable itself is what
a test proves (``alpr dev up``, a production start that refuses)."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import partial
from importlib.metadata import entry_points
from pathlib import Path

import anyio

TIMEOUT_S = 120.0


def _preload() -> list[str]:
    """The modules the fork server imports: this one (each run's entry point), the command line
    and each installed group's module."""
    groups = sorted({ep.module for ep in entry_points(group="alpr.cli")})
    return [__name__, "alpr_cli", *groups]


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(_preload())


def run_alpr(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = TIMEOUT_S,
    merge_stderr: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``alpr *args`` with ``env`` as its whole environment (this process's when None), in
    ``cwd``; its exit status and output as ``subprocess.run(..., capture_output=True,
    text=True)`` gives them (``merge_stderr``: both streams in ``stdout``, in the order written).
    Raises ``subprocess.TimeoutExpired`` (after killing it) when it runs past ``timeout``."""
    environment = dict(os.environ if env is None else env)
    directory = str(cwd) if cwd is not None else os.getcwd()
    with tempfile.TemporaryDirectory(prefix="alpr-run-") as scratch:
        out, err = Path(scratch, "stdout"), Path(scratch, "stderr")
        process = _context.Process(
            target=_child,
            args=(list(args), environment, directory, str(out), str(out if merge_stderr else err)),
            name=f"alpr {' '.join(args[:2])}",
        )
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            process.close()
            raise subprocess.TimeoutExpired(["alpr", *args], timeout, _read(out), _read(err))
        code = process.exitcode
        process.close()
        stdout = _read(out)
        stderr = "" if merge_stderr else _read(err)
    return subprocess.CompletedProcess(["alpr", *args], code, stdout, stderr)


async def run_alpr_async(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = TIMEOUT_S,
    merge_stderr: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``run_alpr`` from a thread, so the test's event loop (serving what the command calls) runs
    meanwhile."""
    run = partial(run_alpr, *args, env=env, cwd=cwd, timeout=timeout, merge_stderr=merge_stderr)
    return await anyio.to_thread.run_sync(run)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _child(argv: Sequence[str], env: dict[str, str], cwd: str, out: str, err: str) -> None:
    """In the forked process: the environment, directory and output streams of a new process,
    then ``alpr``'s own entry point; its exit status and output are the command's, as the
    interpreter gives them (an uncaught exception: printed by ``sys.excepthook``, status 1)."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for target, path in ((1, out), (2, err)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, target)
        os.close(fd)
    sys.argv = ["alpr", *argv]
    from alpr_cli import main

    try:
        main()
    except Exception:
        # What the interpreter does with an uncaught exception: the hook prints it (typer's, as
        # the command installs it), the exit status is 1.
        sys.excepthook(*sys.exc_info())
        raise SystemExit(1) from None
    finally:
        atexit._run_exitfuncs()  # what the interpreter runs on exit (multiprocessing ends with os._exit)
