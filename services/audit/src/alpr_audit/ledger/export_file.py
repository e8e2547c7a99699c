"""Reading a file written by ``alpr audit export`` for ``alpr audit verify-export``. The file
comes from outside (an auditor, a court, a partner holding a copy), so it is read as hostile: a
line that is not a JSON object, a record of the wrong shape, a header whose keys or base are not
what the format says, or bytes that are not UTF-8 are each one ``ExportFileError`` naming the
line, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from alpr_common import first_error

from ..checkpoints.repository import CheckpointRow
from .canonical import GENESIS_HASH
from .repository import Head
from .verification import CheckpointRecord

EXPORT_FORMAT = "alpr-audit-export/v1"
_CHAIN_FIELDS = ("sequence", "canonical", "prev_hash", "hash")
_CHAIN_ROW = TypeAdapter(tuple[int, str, str, str])
_CHECKPOINT = TypeAdapter(CheckpointRow)
_BASE = TypeAdapter(Head)
_KEYS = TypeAdapter(list[str])


class ExportFileError(ValueError):
    """The file is not an export this command can check; the message says where and why."""


@dataclass
class ExportFile:
    public_keys: list[str]
    base: Head
    events: list[tuple[int, str, str, str]] = field(default_factory=list)
    checkpoints: dict[int, CheckpointRecord] = field(default_factory=dict)


def _objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    value = json.loads(line)
                except (ValueError, RecursionError):
                    raise ExportFileError(f"{path}:{number}: not JSON") from None
                if not isinstance(value, dict):
                    raise ExportFileError(f"{path}:{number}: not a JSON object")
                yield number, value
    except UnicodeDecodeError:
        raise ExportFileError(f"{path}: not UTF-8 text") from None


def read_export(path: Path) -> ExportFile:
    """The export's header, events and checkpoints, checked for shape (not yet for the chain)."""
    records = _objects(path)
    first = next(records, None)
    if first is None or first[1].get("format") != EXPORT_FORMAT:
        raise ExportFileError(f"{path}: not an {EXPORT_FORMAT} file")
    header = first[1]
    try:
        keys = _KEYS.validate_python(header.get("public_keys", []))
        base = _BASE.validate_python(header.get("base", {"sequence": 0, "hash": GENESIS_HASH}))
    except ValidationError as exc:
        raise ExportFileError(
            f"{path}:1: the header is not an {EXPORT_FORMAT} header ({first_error(exc)})"
        ) from None
    export = ExportFile(keys, base)
    for number, record in records:
        kind = record.get("type")
        try:
            if kind == "event":
                export.events.append(_CHAIN_ROW.validate_python([record.get(k) for k in _CHAIN_FIELDS]))
            elif kind == "checkpoint":
                checkpoint = CheckpointRecord.of(_CHECKPOINT.validate_python(record))
                export.checkpoints[checkpoint.sequence] = checkpoint
        except ValidationError as exc:
            why = first_error(exc, _CHAIN_FIELDS if kind == "event" else ())
            raise ExportFileError(f"{path}:{number}: not a valid {kind} record ({why})") from None
    return export
