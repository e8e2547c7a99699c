"""Files and folders a command writes (``--out``, a training run's weights and checkpoints):
checked before the command does its work, so that an export, an evaluation or a training run
that takes minutes or hours does not end in a traceback over a path it could never have written."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def output_file(path: Path, option: str = "--out") -> Path:
    """``path`` when a file can be written there, its missing folders made; otherwise a usage
    error naming ``option`` and why (a folder, a file where a folder of the path should be, no
    permission). Nothing is created at ``path`` itself."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder, not a file", param_hint=f"'{option}'")
    _make_folder(path.parent, path, option, "")
    if path.exists() and not os.access(path, os.W_OK):
        raise typer.BadParameter(f"cannot write {path}: permission denied", param_hint=f"'{option}'")
    return path


def output_folder(path: Path, option: str, setting: str = "") -> Path:
    """``path`` made (with its parents) when files can be written in it; otherwise a usage error
    naming ``option`` (and the ``setting`` of a file it read, e.g. ``out_dir`` of a config) and why."""
    _make_folder(path, path, option, f"{setting}: " if setting else "")
    return path


def _make_folder(folder: Path, target: Path, option: str, prefix: str) -> None:
    hint = f"'{option}'"
    above = next(p for p in (folder, *folder.parents) if p.exists())  # the nearest part that exists
    if not above.is_dir():
        raise typer.BadParameter(f"{prefix}cannot write {target}: {above} is not a folder", param_hint=hint)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"{prefix}cannot write {target}: {exc.strerror or exc}", param_hint=hint
        ) from None
    if not os.access(folder, os.W_OK):
        raise typer.BadParameter(f"{prefix}cannot write {target}: permission denied", param_hint=hint)
