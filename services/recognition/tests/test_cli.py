"""``alpr recognition train`` and ``alpr recognition eval`` as a person runs them."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from recognition_support import jpeg, scene

from alpr_devstack.alpr_command import run_alpr_async


async def _alpr(*args: str, cwd: Path) -> tuple[int, str]:
    done = await run_alpr_async(
        *args,
        cwd=cwd,
        merge_stderr=True,
        # Wide enough that the error box never wraps a long path (xdist's tmp paths are longer).
        env={**os.environ, "COLUMNS": "400"},
    )
    return done.returncode, done.stdout


async def test_eval_prints_figures_and_writes_predictions(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "us").mkdir(parents=True)
    rows = []
    for seed, text in enumerate(["7ABC123", "KLM4821", "5TRW908"]):
        frame, (x, y, w, h) = scene(text, seed=seed)
        (images / "us" / f"{text}.jpg").write_bytes(jpeg(frame))
        rows.append([f"us/{text}.jpg", text, x, y, w, h, "us"])
    labels = tmp_path / "labels.csv"
    with labels.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "plate_text", "x", "y", "w", "h", "region"])
        writer.writerows(rows)
    out = tmp_path / "pred.csv"
    code, text = await _alpr(
        "recognition", "eval", "--labels", str(labels), "--images", str(images), "--out", str(out),
        "--device", "cpu", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, text
    assert "all: images 3  exact 100.0%  chars 100.0%  det recall 100.0%" in text
    with out.open(newline="") as handle:
        predictions = list(csv.DictReader(handle))
    assert list(predictions[0]) == ["filename", "plate_text", "confidence", "x", "y", "w", "h"]
    assert sorted(p["plate_text"] for p in predictions) == ["5TRW908", "7ABC123", "KLM4821"]


async def test_eval_refuses_a_missing_labels_file(tmp_path: Path) -> None:
    code, text = await _alpr(
        "recognition", "eval", "--labels", str(tmp_path / "none.csv"), "--images", str(tmp_path), cwd=tmp_path
    )
    assert code == 2
    assert "none.csv" in text


async def test_eval_refuses_a_malformed_labels_file_in_one_message(tmp_path: Path) -> None:
    """A labels CSV without the columns, or with a box that is not a number: the file, the line
    and what is wrong, exit 2, before the model loads; not a traceback."""
    cases = {
        "a,b\n1,2\n": "the header has no filename, plate_text, x, y, w, h",
        "filename,plate_text,x,y,w,h\nus/a.jpg,ABC123,1,2,3,4\nus/b.jpg,XYZ9,1,2,wide,4\n": (
            "line 3: w is 'wide', not a whole number"
        ),
        "filename,plate_text,x,y,w,h\n,ABC123,1,2,3,4\n": "line 2: filename is empty",
    }
    for content, message in cases.items():
        labels = tmp_path / "labels.csv"
        labels.write_text(content)
        code, text = await _alpr(
            "recognition", "eval", "--labels", str(labels), "--images", str(tmp_path), cwd=tmp_path
        )
        assert code == 2, text
        assert "Invalid value for '--labels'" in text
        assert message in text, text
        assert "Traceback" not in text
        assert "model alpr-" not in text  # refused before the model was loaded


async def test_eval_refuses_a_device_or_predictions_path_it_cannot_use(tmp_path: Path) -> None:
    """A device that is not one, a CUDA device the machine lacks (no machine has 100), more threads
    than torch takes, a folder or a path under a file as ``--out``: which option and why, exit 2,
    before an image is read."""
    labels = tmp_path / "labels.csv"
    labels.write_text("filename,plate_text,x,y,w,h\nus/a.jpg,ABC123,1,2,3,4\n")
    cases = {
        ("--device", "gpu"): ("'--device'", "'gpu' is not a device: auto, cpu, cuda or cuda:N"),
        ("--device", "cuda:99"): ("'--device'", "cuda:99 asked for, but torch sees"),
        ("--threads", str(10**11)): ("'--threads'", "less than or equal to 256"),
        ("--out", str(tmp_path)): ("'--out'", f"{tmp_path} is a folder, not a file"),
        ("--out", str(labels / "p.csv")): ("'--out'", f"{labels / 'p.csv'}: {labels} is not a folder"),
    }
    for option, (hint, message) in cases.items():
        code, text = await _alpr(
            "recognition", "eval", "--labels", str(labels), "--images", str(tmp_path), *option, cwd=tmp_path
        )
        assert code == 2, text
        assert f"Invalid value for {hint}" in text, text
        assert message in text, text
        assert "Traceback" not in text
        assert "skipped us/a.jpg" not in text  # refused before the first image


async def test_train_refuses_a_config_it_cannot_use_before_training(tmp_path: Path) -> None:
    """A TOML syntax error, a misspelt key (which would otherwise train for an hour with the
    default in its place), a value of the wrong type and a weights folder that cannot be written
    (which would end the hour in a traceback): one message naming the key, exit 2."""
    weights = tmp_path / "bad.toml" / "weights"
    cases = {
        "dev_dir = \n": "not TOML",
        "[reader]\nstep = 10\n": "reader.step: Extra inputs are not permitted",
        '[state]\nsteps = "many"\n': "state.steps: Input should be a valid integer",
        f'out_dir = "{weights}"\n': f"out_dir: cannot write {weights}: {weights.parent} is not a folder",
    }
    (tmp_path / "empty.toml").write_text("")
    args = ("--config", str(tmp_path / "empty.toml"), "--seed", str(2**70))
    code, text = await _alpr("recognition", "train", *args, cwd=tmp_path)
    assert (code, "Invalid value for '--seed'" in text) == (2, True), text  # torch takes 64-bit seeds
    for content, message in cases.items():
        config = tmp_path / "bad.toml"
        config.write_text(content)
        code, text = await _alpr(
            "recognition", "train", "--config", str(config), "--model", "state", cwd=tmp_path
        )
        assert code == 2, text
        assert "Invalid value for '--config'" in text
        assert message in text, text
        assert "Traceback" not in text
    assert not (tmp_path / ".alpr").exists()  # nothing was trained


def _tiny_config(tmp_path: Path, sections: str) -> Path:
    """A training configuration under ``tmp_path`` with no development images, checkpoints every 2 steps."""
    config = tmp_path / "tiny.toml"
    config.write_text(
        f'dev_dir = "{tmp_path / "no-dev-set"}"\nout_dir = "{tmp_path / "weights"}"\n'
        f'checkpoint_dir = "{tmp_path / "ckpt"}"\ncheckpoint_every = 2\n{sections}'
    )
    return config


async def test_train_checkpoints_resumes_and_writes_weights(tmp_path: Path) -> None:
    config = _tiny_config(
        tmp_path, "[reader]\nsteps = 3\nbatch = 4\n[detector]\nsteps = 2\nbatch = 2\nsize = 128\n"
    )
    code, text = await _alpr("recognition", "train", "--config", str(config), "--seed", "3", cwd=tmp_path)
    assert code == 0, text
    assert "training on synthetic data only" in text
    meta = json.loads((tmp_path / "weights" / "reader.json").read_text())
    assert meta["steps"] == 3
    assert meta["seed"] == 3
    assert "DejaVuSansCondensed-Bold.ttf" in meta["fonts"]  # the faces its plates were drawn with
    assert all(face.startswith("DejaVu") for face in meta["fonts"])  # as the suite pins them
    assert (tmp_path / "weights" / "detector.pt").exists()
    assert (tmp_path / "ckpt" / "reader-seed3.ckpt").exists()
    # Run again: both resume from their finished checkpoints and do no more steps.
    code, text = await _alpr("recognition", "train", "--config", str(config), "--seed", "3", cwd=tmp_path)
    assert code == 0, text
    assert "resuming reader from step 3" in text
    assert "resuming detector from step 2" in text


async def test_train_state_writes_calibrated_weights(tmp_path: Path) -> None:
    """`--model state` trains the state classifier alone and keeps its temperature and threshold."""
    config = _tiny_config(tmp_path, "[state]\nsteps = 2\nbatch = 4\nvalidation_rendered = 6\n")
    code, text = await _alpr(
        "recognition", "train", "--config", str(config), "--model", "state", cwd=tmp_path
    )
    assert code == 0, text
    meta = json.loads((tmp_path / "weights" / "state.json").read_text())
    assert meta["steps"] == 2
    assert meta["temperature"] > 0
    assert 0 <= meta["threshold"] <= 1
    assert meta["validation"]["rendered"] == 6
    assert not (tmp_path / "weights" / "reader.pt").exists()
