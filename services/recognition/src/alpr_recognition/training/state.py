"""Training the state classifier (``alpr recognition train --model state``), then calibrating it.

Samples: rendered US plates of every state (the common designs of ``STATE_STYLES`` often), real
US crops of the training split with their ``states.csv`` label (oversampled), and ``unknown``
ones (European and Brazilian plates, rendered and real, and real US plates no person could
assign). A few training photos are held back, with rendered plates of another seed, as the
validation set: the temperature and the answer threshold are chosen there, never on held-out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from ..devset import StateLabel, read_states
from ..models.state import CLASS_INDEX, HEIGHT, PAD, WIDTH, StateClassifier
from ..regions import UNKNOWN, US_STATES
from ..synth.plates import STATE_STYLES
from ..synth.samples import RealImage, RealPool, real_state_crop, synthetic_state_crop
from ..weights import save_weights
from .config import TrainConfig
from .loop import _pool, _run, to_tensor

log = logging.getLogger("alpr.recognition.train")

VALIDATION_BELOW = 40  # of 256: training photos whose name's second SHA-1 byte is below this are held back


def is_validation(filename: str) -> bool:
    return hashlib.sha1(filename.encode()).digest()[1] < VALIDATION_BELOW


def _split_pool(
    pool: RealPool | None, states: dict[str, StateLabel]
) -> tuple[list[RealImage], list[RealImage]]:
    """(real crops to train on with a state label or ``unknown``, validation crops with a state)."""
    train, validation = [], []
    for crop in pool.crops if pool else []:
        label = states[crop.source].state if crop.group == "us" and crop.source in states else UNKNOWN
        crop.region = label
        if crop.group == "us" and label != UNKNOWN and is_validation(crop.source):
            validation.append(crop)
        else:
            train.append(crop)
    return train, validation


def _draw_state(rng: random.Random, styled_fraction: float) -> str:
    return rng.choice(list(STATE_STYLES) if rng.random() < styled_fraction else list(US_STATES))


def train_state(config: TrainConfig, seed: int) -> Path:
    cfg = config.state
    model = StateClassifier()
    states = read_states(config.dev_dir / "states.csv")
    cache: dict[str, list[RealImage]] = {}

    def step(rng: random.Random, pool: RealPool | None) -> torch.Tensor:
        if "known" not in cache:
            train, _ = _split_pool(pool, states)
            cache["known"] = [c for c in train if c.region != UNKNOWN]
            cache["unknown"] = [c for c in train if c.region == UNKNOWN]
        crops, labels = [], []
        for _ in range(cfg.batch):
            draw = rng.random()
            if draw < cfg.unknown_fraction:
                if cache["unknown"] and rng.random() < 0.5:
                    crops.append(real_state_crop(rng, rng.choice(cache["unknown"]), PAD))
                else:
                    crops.append(synthetic_state_crop(rng, None, PAD)[0])
                labels.append(CLASS_INDEX[UNKNOWN])
            elif draw < cfg.unknown_fraction + cfg.real_fraction and cache["known"]:
                sample = rng.choice(cache["known"])
                crops.append(real_state_crop(rng, sample, PAD))
                labels.append(CLASS_INDEX[sample.region])
            else:
                crop, code = synthetic_state_crop(rng, _draw_state(rng, cfg.styled_fraction), PAD)
                crops.append(crop)
                labels.append(CLASS_INDEX[code])
        logits = model(to_tensor(crops, WIDTH, HEIGHT))
        return F.cross_entropy(logits, torch.tensor(labels), label_smoothing=0.05)

    meta: dict[str, object] = {"input": [HEIGHT, WIDTH], "pad": list(PAD)}
    if config.init_from is not None:
        meta["init_from"] = start_from(model, config.init_from)
        config = config.model_copy(update={"init_from": None})  # loaded here, leniently
    path = _run("state", config, seed, model, cfg.steps, cfg.lr, step, meta)
    calibration = calibrate(model, config, seed, states)
    saved = json.loads(path.with_suffix(".json").read_text())
    saved.pop("sha256", None)
    return save_weights("state", model, config.out_dir, {**saved, **calibration})


def start_from(model: StateClassifier, directory: Path) -> dict[str, object]:
    """Loads the state weights in ``directory`` into ``model`` where the shapes agree (the layers a
    newer model adds keep their initial values); returns what to record of where it started."""
    saved = torch.load(directory / "state.pt", map_location="cpu", weights_only=True)
    own = model.state_dict()
    kept = {k: v.float() for k, v in saved.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(kept, strict=False)
    meta_path = directory / "state.json"
    sha = json.loads(meta_path.read_text()).get("sha256") if meta_path.exists() else None
    log.info("starting state from %s (%d of %d tensors)", directory, len(kept), len(own))
    return {"dir": str(directory), "sha256": sha, "tensors": len(kept)}


def validation_set(
    config: TrainConfig, seed: int, states: dict[str, StateLabel]
) -> tuple[list[Image.Image], list[int], list[bool]]:
    """The calibration crops: rendered plates of another seed and the held-back training photos."""
    rng = random.Random(seed + 1_000_003)
    crops: list[Image.Image] = []
    labels: list[int] = []
    real: list[bool] = []
    for i in range(config.state.validation_rendered):
        state = None if i % 12 == 0 else _draw_state(rng, config.state.styled_fraction)
        crop, code = synthetic_state_crop(rng, state, PAD)
        crops.append(crop)
        labels.append(CLASS_INDEX[code])
        real.append(False)
    _, held_back = _split_pool(_pool(config), states)
    for sample in held_back:
        crops.append(real_state_crop(None, sample, PAD))
        labels.append(CLASS_INDEX[sample.region])
        real.append(True)
    return crops, labels, real


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature that minimises the validation set's negative log-likelihood (grid, then fine)."""
    grid = [math.exp(x / 40) for x in range(-60, 121)]  # 0.22 .. 20
    losses = [float(F.cross_entropy(logits / t, labels)) for t in grid]
    return grid[min(range(len(grid)), key=losses.__getitem__)]


def choose_threshold(confidence: list[float], correct: list[bool], precision: float) -> float:
    """The lowest threshold at which the states answered (confidence >= it) are right at least
    ``precision`` of the time; 1.0 (always ``unknown``) when none is."""
    order = sorted(zip(confidence, correct, strict=True), reverse=True)
    best = 1.0
    right = 0
    for k, (conf, ok) in enumerate(order, start=1):
        right += int(ok)
        if right / k >= precision:
            best = conf
    return round(best, 3)


def calibrate(
    model: StateClassifier, config: TrainConfig, seed: int, states: dict[str, StateLabel]
) -> dict[str, object]:
    crops, labels, real = validation_set(config, seed, states)
    model.eval()
    with torch.inference_mode():
        logits = torch.cat(
            [model(to_tensor(crops[i : i + 64], WIDTH, HEIGHT)) for i in range(0, len(crops), 64)]
        )
    target = torch.tensor(labels)
    temperature = fit_temperature(logits, target)
    probs = (logits / temperature).softmax(1)
    conf, pred = probs.max(1)
    known = target != CLASS_INDEX[UNKNOWN]
    # The threshold is for naming a state: it is chosen over the samples that have one.
    named = [(float(c), bool(p == t)) for c, p, t, k in zip(conf, pred, target, known, strict=True) if k]
    threshold = choose_threshold([c for c, _ in named], [ok for _, ok in named], config.state.precision)
    real_mask = torch.tensor(real)
    figures = {
        "temperature": round(temperature, 4),
        "threshold": threshold,
        "validation": {
            "rendered": int((~real_mask).sum()),
            "real": int(real_mask.sum()),
            "accuracy_rendered": round(float((pred == target)[~real_mask].float().mean()), 4),
            "accuracy_real": round(float((pred == target)[real_mask].float().mean()), 4)
            if any(real)
            else None,
        },
    }
    log.info("state calibration: %s", figures)
    return figures
