"""The one line a command prints for a file it cannot use, from pydantic's errors."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator

from alpr_common import first_error


class _Reader(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int = 1

    @field_validator("steps")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value


class _Config(BaseModel):
    reader: _Reader = _Reader()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"reader": {"step": 3}}, "reader.step: Extra inputs are not permitted"),
        (
            {"reader": {"steps": "many"}},
            "reader.steps: Input should be a valid integer, unable to parse string as an integer",
        ),
        # Our validator's words, without pydantic's "Value error, " in front.
        ({"reader": {"steps": 0}}, "reader.steps: must be at least 1"),
        ("not an object", "Input should be a valid dictionary or instance of _Config"),
    ],
)
def test_the_first_error_is_named_by_its_place(document: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _Config.model_validate(document)
    assert first_error(raised.value) == message


def test_a_position_is_named_by_the_names_given_and_no_value_is_repeated() -> None:
    row = TypeAdapter(tuple[int, str])
    with pytest.raises(ValidationError) as raised:
        row.validate_python(["secret-7", "x"])
    assert first_error(raised.value, ("sequence", "hash")) == (
        "sequence: Input should be a valid integer, unable to parse string as an integer"
    )
    assert first_error(raised.value).startswith("0: ")
    assert "secret-7" not in first_error(raised.value)
