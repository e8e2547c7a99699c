"""``alpr recognition``: train the models and evaluate them on labelled images."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Plate detector and reader: training and evaluation.", no_args_is_help=True)


class Model(StrEnum):
    all = "all"
    reader = "reader"
    detector = "detector"
    state = "state"  # the state classifier: only when named (``all`` is the reader and detector)


@app.command()
def train(
    config: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="TOML training configuration.")],
    seed: Annotated[
        int,
        typer.Option(
            min=0, max=2**32 - 1, help="Random seed: the same seed and config give the same weights."
        ),
    ] = 7,
    model: Annotated[Model, typer.Option(help="Which network to train.")] = Model.all,
) -> None:
    """Trains the reader and/or detector, or the state classifier; resumes from the last checkpoint
    of the same seed."""
    from alpr_common.cli_files import output_folder

    from .devset import LabelsError
    from .training.config import ConfigError, TrainConfig
    from .training.loop import train_detector, train_reader
    from .training.state import train_state

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        cfg = TrainConfig.load(config)
        # Where the weights and checkpoints go, checked before an hour of training ends on them.
        output_folder(cfg.out_dir, "--config", "out_dir")
        output_folder(cfg.checkpoint_dir, "--config", "checkpoint_dir")
        if model in (Model.all, Model.reader):
            typer.echo(f"reader weights: {train_reader(cfg, seed)}")
        if model in (Model.all, Model.detector):
            typer.echo(f"detector weights: {train_detector(cfg, seed)}")
        if model is Model.state:
            typer.echo(f"state weights: {train_state(cfg, seed)}")
    except (ConfigError, LabelsError) as exc:  # the file, or the development labels it points at
        raise typer.BadParameter(str(exc), param_hint="'--config'") from None


class Split(StrEnum):
    all = "all"
    held_out = "held-out"
    train = "train"


@app.command("eval")
def evaluate(
    labels: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="CSV: filename,plate_text,x,y,w,h[,region].")
    ],
    images: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="Folder the CSV's file names are under.")
    ],
    out: Annotated[Path, typer.Option(help="Predictions CSV to write.")] = Path("predictions.csv"),
    split: Annotated[
        Split, typer.Option(help="Only this part of the development set's fixed split.")
    ] = Split.all,
    device: Annotated[str, typer.Option(help="auto (CUDA when present), cpu, cuda or cuda:N.")] = "auto",
    threads: Annotated[int, typer.Option(help="CPU threads for inference.", min=1, max=256)] = 2,
) -> None:
    """Reads every labelled image and prints exact-plate and character accuracy, detection
    recall/precision at IoU 0.5, the read confidence's calibration, read rate at 95 % precision and
    top-5 coverage, and milliseconds per image (overall and per region); exact accuracy and ECE
    again with O and 0 as one character (the labels' quirk)."""
    from alpr_common.cli_files import output_file

    from .devset import LabelsError
    from .eval_run import run_eval
    from .pipeline import DeviceError

    try:
        scores = run_eval(labels, images, output_file(out), split.value, device, threads, echo=typer.echo)
    except LabelsError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--labels'") from None
    except DeviceError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--device'") from None
    for region, score in scores.items():
        row = score.row()
        typer.echo(
            f"{region:>6}: images {row['images']:.0f}  exact {row['exact_accuracy']:.1%}  "
            f"chars {row['char_accuracy']:.1%}  det recall {row['detection_recall']:.1%}  "
            f"det precision {row['detection_precision']:.1%}  "
            f"ms p50 {row['ms_p50']:.0f} p95 {row['ms_p95']:.0f}"
        )
        typer.echo(
            f"{'':>6}  read confidence: ECE {row['confidence_ece']:.1%} (a calibrated reader: "
            f"{row['confidence_ece_calibrated_p50']:.1%}, "
            f"95th pct {row['confidence_ece_calibrated_p95']:.1%})  "
            f"read rate at 95 % precision {row['read_rate_p95']:.1%}  "
            f"top-5 coverage {row['top5_coverage']:.1%}"
        )
        typer.echo(
            f"{'':>6}  O and 0 as one (the labels' quirk): exact {row['exact_accuracy_o0']:.1%}  "
            f"ECE {row['confidence_ece_o0']:.1%}"
        )
        if "state_accuracy" in row:
            typer.echo(
                f"{'':>6}  state: images {row['state_images']:.0f}  right {row['state_accuracy']:.1%}  "
                f"right (sure labels) {row['state_accuracy_sure']:.1%}  unknown {row['state_unknown']:.1%}  "
                f"ECE {row['state_ece']:.1%} (a calibrated model: {row['state_ece_calibrated_p50']:.1%}, "
                f"95th pct {row['state_ece_calibrated_p95']:.1%})"
            )
    typer.echo(f"predictions: {out}")
