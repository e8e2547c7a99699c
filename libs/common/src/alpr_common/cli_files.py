"""Files a command writes (``--out``): checked before the command does its work, so that an export
or an evaluation that runs for minutes does not end in a traceback over a path it could never
have written."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def output_file(path: Path, option: str = "--out") -> Path:
    """``path`` when a file can be written there, its missing folders made; otherwise a usage
    error naming ``option`` and why (a folder, a file where a folder of the path should be, no
    permission). Nothing is created at ``path`` itself."""
    hint = f"'{option}'"
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder, not a file", param_hint=hint)
    above = next(p for p in path.parents if p.exists())  # the nearest part of the path that exists
    if not above.is_dir():
        raise typer.BadParameter(f"cannot write {path}: {above} is not a folder", param_hint=hint)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {path}: {exc.strerror or exc}", param_hint=hint) from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise typer.BadParameter(f"cannot write {path}: permission denied", param_hint=hint)
    return path
