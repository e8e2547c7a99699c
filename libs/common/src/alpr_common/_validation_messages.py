"""Pydantic's validation errors in the words a person reads: an API problem's field errors, and
the one line a command prints for a file it cannot use (a training configuration, an audit
export)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError


def error_message(error: Mapping[str, Any]) -> str:
    """One validation error's message: our validators' own words without pydantic's
    "Value error, " in front, and for a multipart part sent as text where a file is expected
    (FastAPI's message names a Python class) what to send instead."""
    msg = str(error.get("msg", ""))
    if "Expected UploadFile" in msg:
        return "A file is expected: send this part with a filename (form-data; filename=...)."
    return msg.removeprefix("Value error, ")


def first_error(exc: ValidationError, names: Sequence[str] = ()) -> str:
    """The first error as ``place: message``, the place dotted (``reader.steps``); a position
    in a sequence validated by position is named by ``names`` where it has one. No input value
    is repeated."""
    first = exc.errors(include_url=False, include_input=False)[0]
    parts = [names[p] if isinstance(p, int) and p < len(names) else p for p in first.get("loc", ())]
    where = ".".join(str(part) for part in parts)
    message = error_message(first)
    return f"{where}: {message}" if where else message
