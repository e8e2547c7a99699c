"""Training configuration, read from a TOML file (``services/recognition/train.toml`` is the one used)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alpr_common import first_error


class ConfigError(ValueError):
    """A training configuration that cannot be used: the file and what is wrong in it."""


class _Section(BaseModel):
    # A misspelt key is an error, not an hour of training with the default in its place.
    model_config = ConfigDict(extra="forbid")


class ReaderConfig(_Section):
    steps: int = Field(3500, ge=1)
    batch: int = Field(32, ge=1)
    lr: float = Field(2e-3, gt=0)
    real_fraction: float = Field(0.3, ge=0, le=1)
    region_weight: float = Field(0.3, ge=0)
    real_group_weights: dict[str, float] = Field(
        default_factory=dict, description="Favour some groups of the real crops, e.g. {us = 2.5}."
    )


class DetectorConfig(_Section):
    steps: int = Field(5000, ge=1)
    batch: int = Field(8, ge=1)
    size: int = Field(320, ge=64, multiple_of=32)
    lr: float = Field(2e-3, gt=0)


class StateConfig(_Section):
    steps: int = Field(1500, ge=1)
    batch: int = Field(32, ge=1)
    lr: float = Field(2e-3, gt=0)
    real_fraction: float = Field(0.25, ge=0, le=1, description="Share of real US crops with a state label.")
    unknown_fraction: float = Field(
        0.08, ge=0, le=1, description="Share of `unknown` samples: EU/BR plates, rendered and real."
    )
    styled_fraction: float = Field(
        0.4, ge=0, le=1, description="Share of rendered US plates drawn from the states with a known design."
    )
    validation_rendered: int = Field(400, ge=0, description="Rendered plates in the calibration set.")
    precision: float = Field(
        0.95, gt=0, le=1, description="The threshold is the lowest whose named states are this precise."
    )


class TrainConfig(_Section):
    dev_dir: Path = Path("../shared/data/plates-dev")
    out_dir: Path = Path("services/recognition/src/alpr_recognition/weights")
    checkpoint_dir: Path = Path(".alpr/train")
    threads: int = Field(1, ge=1, le=256)
    checkpoint_every: int = Field(200, ge=1)
    init_from: Path | None = Field(
        None, description="A weights folder to start from (fine-tuning) instead of random weights."
    )
    reader: ReaderConfig = ReaderConfig()
    detector: DetectorConfig = DetectorConfig()
    state: StateConfig = StateConfig()

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        """The file's configuration, or ConfigError naming what is wrong (TOML syntax, a key that
        is not a setting, a value of the wrong type or range). Relative paths in the file are
        relative to the directory the command runs in."""
        try:
            with path.open("rb") as handle:
                return cls.model_validate(tomllib.load(handle))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not TOML ({exc})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text") from None
        except ValidationError as exc:
            raise ConfigError(f"{path}: {first_error(exc)}") from None
