"""Signed cursors (issue 16): what this process made decodes; anything else is a 400 problem,
never a 500, whatever text a caller sends."""

from __future__ import annotations

import pytest

from alpr_common import BadRequest, decode_cursor, encode_cursor


def test_a_cursor_made_here_decodes() -> None:
    assert decode_cursor(encode_cursor({"at": "2026-12-03T00:00:00Z", "id": "x"})) == {
        "at": "2026-12-03T00:00:00Z",
        "id": "x",
    }


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "no-tag",
        "e30.0000",  # `{}` with a tag this process never made
        "e30.ÿÿÿÿ",  # non-ASCII: hmac.compare_digest refuses to compare it (TypeError)
        "ü.ü",
        "\x00.\x00",
    ],
)
def test_any_other_text_is_a_400(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor)


def test_an_altered_cursor_is_a_400() -> None:
    cursor = encode_cursor({"page": 2})
    payload, _, tag = cursor.partition(".")
    with pytest.raises(BadRequest):
        decode_cursor(f"{payload}A.{tag}")
