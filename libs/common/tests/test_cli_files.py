"""A file a command is told to write (``--out``): refused before the work when it cannot be
written, with which option and why; its missing folders made, nothing created at the path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer

from alpr_common.cli_files import output_file, output_folder


def test_a_writable_path_is_returned_with_its_missing_folders_made(tmp_path: Path) -> None:
    path = tmp_path / "exports" / "2026" / "ledger.jsonl"
    assert output_file(path) == path
    assert path.parent.is_dir()
    assert not path.exists()  # a command that then fails leaves no empty file behind


def test_an_existing_file_may_be_written_again(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("old\n")
    assert output_file(path) == path
    assert path.read_text() == "old\n"


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        (".", "{tmp} is a folder, not a file"),
        ("labels.csv/p.csv", "cannot write {tmp}/labels.csv/p.csv: {tmp}/labels.csv is not a folder"),
        ("labels.csv/a/b/p.csv", "cannot write {tmp}/labels.csv/a/b/p.csv: {tmp}/labels.csv is not a folder"),
    ],
)
def test_a_path_that_cannot_be_a_file_is_a_usage_error(tmp_path: Path, relative: str, message: str) -> None:
    (tmp_path / "labels.csv").write_text("filename,plate_text,x,y,w,h\n")
    with pytest.raises(typer.BadParameter) as refused:
        output_file(tmp_path / relative, "--predictions")
    assert refused.value.param_hint == "'--predictions'"
    assert str(refused.value) == message.format(tmp=tmp_path)
    assert (tmp_path / "labels.csv").read_text() == "filename,plate_text,x,y,w,h\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_without_write_permission_is_a_usage_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(typer.BadParameter, match="permission denied"):
        output_file(locked / "x.json")


def test_an_output_folder_is_made_or_refused_naming_the_setting(tmp_path: Path) -> None:
    made = tmp_path / "runs" / "seed7"
    assert output_folder(made, "--config", "checkpoint_dir") == made
    assert made.is_dir()
    (tmp_path / "train.toml").write_text("")
    with pytest.raises(typer.BadParameter) as refused:
        output_folder(tmp_path / "train.toml" / "weights", "--config", "out_dir")
    assert refused.value.param_hint == "'--config'"
    assert str(refused.value) == (
        f"out_dir: cannot write {tmp_path}/train.toml/weights: {tmp_path}/train.toml is not a folder"
    )
