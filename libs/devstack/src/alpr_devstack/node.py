"""The repository's Node.js packages for tests and ``make``: the TypeScript SDK
(``clients/typescript``) and the reference console (``apps/console``), installed with ``npm ci``
from their committed lock files (npm registry only) and built with their own scripts.

Two test workers (pytest-xdist) may need the same package at once: each step holds an exclusive
lock on a file beside the package, and ``npm ci`` runs again only when the lock file changed
since the last install."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

from .locks import file_lock

ROOT = Path(__file__).resolve().parents[4]
SDK_DIR = ROOT / "clients" / "typescript"
CONSOLE_DIR = ROOT / "apps" / "console"
_STAMP = "node_modules/.alpr-installed"  # the digest of the package-lock.json installed


class NodeError(RuntimeError):
    """npm is missing, or one of its steps failed (its output is the message)."""


def npm() -> str:
    """The machine's ``npm``; ``NodeError`` when there is none."""
    path = shutil.which("npm")
    if path is None:
        raise NodeError("`npm` is not installed (Node.js 20 or later)")
    return path


def _locked(package: Path) -> AbstractContextManager[None]:
    return file_lock(package / ".alpr-npm.lock")


def _run(package: Path, *args: str, timeout: float = 600) -> str:
    env = {**os.environ, "NO_UPDATE_NOTIFIER": "1", "npm_config_fund": "false", "npm_config_audit": "false"}
    proc = subprocess.run(
        [npm(), *args], cwd=package, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if proc.returncode != 0:
        where = package.relative_to(ROOT)
        raise NodeError(f"npm {' '.join(args)} in {where} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def install(package: Path) -> None:
    """``npm ci`` in ``package``, unless its current lock file is what is installed."""
    with _locked(package):
        _install_locked(package)


def _install_locked(package: Path) -> None:
    digest = hashlib.sha256((package / "package-lock.json").read_bytes()).hexdigest()
    stamp = package / _STAMP
    if stamp.is_file() and stamp.read_text() == digest:
        return
    _run(package, "ci")
    stamp.write_text(digest)


def run_script(package: Path, script: str, *args: str) -> str:
    """``npm run <script> [-- args]`` in ``package`` (installed first); its output."""
    with _locked(package):
        _install_locked(package)
        return _run(package, "run", script, *(["--", *args] if args else []))


def build_sdk() -> Path:
    """The SDK built into ``clients/typescript/dist``; that folder."""
    run_script(SDK_DIR, "build")
    return SDK_DIR / "dist"
