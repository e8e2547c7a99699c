"""The training loops for the reader and the detector, with checkpoints to resume from."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..devset import read_labels, split
from ..models.detector import STRIDE, PlateDetector
from ..models.reader import HEIGHT, WIDTH, PlateReader
from ..synth import fonts
from ..synth.samples import RealPool, detector_scene, real_crop, region_targets, synthetic_crop
from ..text import encode
from ..weights import load_weights, save_weights
from .config import TrainConfig

log = logging.getLogger("alpr.recognition.train")


def to_tensor(images: list[Image.Image], width: int, height: int) -> torch.Tensor:
    arrays = [
        np.asarray(img.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)) for img in images
    ]
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return batch.float().div_(255.0)


def _pool(config: TrainConfig) -> RealPool | None:
    labels = config.dev_dir / "labels.csv"
    if not labels.exists():
        log.warning("no development images at %s: training on synthetic data only", config.dev_dir)
        return None
    rows = split(read_labels(labels), held_out=False)  # never the held-out part
    return RealPool.load(rows, config.dev_dir / "images")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(), TimeRemainingColumn(),
    )  # fmt: skip


def _run(
    name: str,
    config: TrainConfig,
    seed: int,
    model: torch.nn.Module,
    steps: int,
    lr: float,
    step_fn: Callable[[random.Random, RealPool | None], torch.Tensor],
    meta: dict[str, Any],
) -> Path:
    torch.set_num_threads(config.threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    config.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = config.checkpoint_dir / f"{name}-seed{seed}.ckpt"
    start = 0
    if config.init_from is not None and not checkpoint.exists():
        started = load_weights(name, model, config.init_from)
        meta = {**meta, "init_from": {"dir": str(config.init_from), "sha256": started.get("sha256")}}
        log.info("starting %s from %s", name, config.init_from)
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        start = state["step"]
        log.info("resuming %s from step %d", name, start)
    pool = _pool(config)
    model.train()
    began = time.monotonic()
    smoothed = 0.0
    with _progress() as progress:
        task = progress.add_task(name, total=steps, completed=start, loss=0.0)
        for step in range(start, steps):
            loss = step_fn(rng, pool)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            smoothed = loss.item() if step == start else 0.98 * smoothed + 0.02 * loss.item()
            progress.update(task, advance=1, loss=smoothed)
            if (step + 1) % config.checkpoint_every == 0 or step + 1 == steps:
                state = {
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state(), "step": step + 1,
                }  # fmt: skip
                torch.save(state, checkpoint.with_suffix(".tmp"))
                checkpoint.with_suffix(".tmp").replace(checkpoint)
                log.info(
                    "%s step %d/%d loss %.4f (%.0f s)",
                    name,
                    step + 1,
                    steps,
                    smoothed,
                    time.monotonic() - began,
                )
    model.eval()
    meta = {
        **meta,
        "steps": steps,
        "seed": seed,
        "final_loss": round(smoothed, 4),
        "train_seconds": round(time.monotonic() - began),
        "fonts": fonts.in_use(),  # the faces its rendered plates were drawn with
    }
    return save_weights(name, model, config.out_dir, meta)


def train_reader(config: TrainConfig, seed: int) -> Path:
    cfg = config.reader
    model = PlateReader()
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)

    def step(rng: random.Random, pool: RealPool | None) -> torch.Tensor:
        crops, texts, regions = [], [], []
        for _ in range(cfg.batch):
            if pool is not None and rng.random() < cfg.real_fraction:
                crop, text, region, group = real_crop(rng, pool, cfg.real_group_weights)
            else:
                crop, text, region = synthetic_crop(rng)
                group = ""
            crops.append(crop)
            texts.append(encode(text))
            regions.append(region_targets(region, group))
        images = to_tensor(crops, WIDTH, HEIGHT)
        log_probs, region_logits = model(images)
        targets = torch.tensor([c for t in texts for c in t], dtype=torch.long)
        target_lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
        input_lengths = torch.full((cfg.batch,), log_probs.shape[0], dtype=torch.long)
        loss: torch.Tensor = ctc(log_probs, targets, input_lengths, target_lengths)
        if any(regions):
            loss = loss + cfg.region_weight * region_loss(region_logits, regions)
        return loss

    return _run("reader", config, seed, model, cfg.steps, cfg.lr, step, {"input": [HEIGHT, WIDTH]})


def region_loss(logits: torch.Tensor, allowed: list[list[int]]) -> torch.Tensor:
    """-log of the probability the head gives the sample's allowed regions together (a one-class
    set is plain cross-entropy); samples with no known region are left out."""
    mask = torch.zeros_like(logits, dtype=torch.bool)
    for i, classes in enumerate(allowed):
        mask[i, classes] = True
    known = mask.any(dim=1)
    log_probs = logits.log_softmax(dim=1).masked_fill(~mask, float("-inf"))
    return -log_probs.logsumexp(dim=1)[known].mean()


def heatmap_targets(
    boxes: list[list[tuple[float, float, float, float]]], size: int
) -> tuple[torch.Tensor, ...]:
    """CenterNet targets: Gaussian centre heatmap, box terms and their mask, at stride ``STRIDE``."""
    cells = size // STRIDE
    n = len(boxes)
    heat = torch.zeros(n, 1, cells, cells)
    terms = torch.zeros(n, 4, cells, cells)
    mask = torch.zeros(n, 1, cells, cells)
    ys = torch.arange(cells).view(-1, 1).float()
    xs = torch.arange(cells).view(1, -1).float()
    for i, image_boxes in enumerate(boxes):
        for x, y, w, h in image_boxes:
            cx, cy = (x + w / 2) / STRIDE, (y + h / 2) / STRIDE
            if not (0 <= cx < cells and 0 <= cy < cells) or w < 4 or h < 2:
                continue
            sx, sy = max(0.8, w / STRIDE / 6), max(0.8, h / STRIDE / 6)
            gauss = torch.exp(-((xs - cx) ** 2) / (2 * sx * sx) - ((ys - cy) ** 2) / (2 * sy * sy))
            heat[i, 0] = torch.maximum(heat[i, 0], gauss)
            ix, iy = int(cx), int(cy)
            heat[i, 0, iy, ix] = 1.0
            terms[i, :, iy, ix] = torch.tensor([cx - ix, cy - iy, np.log(w / STRIDE), np.log(h / STRIDE)])
            mask[i, 0, iy, ix] = 1.0
    return heat, terms, mask


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss over the heatmap."""
    pred = logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    positive = target.eq(1).float()
    pos = -torch.log(pred) * (1 - pred) ** 2 * positive
    neg = -torch.log(1 - pred) * pred**2 * (1 - target) ** 4 * (1 - positive)
    return (pos.sum() + neg.sum()) / positive.sum().clamp(min=1)


def train_detector(config: TrainConfig, seed: int) -> Path:
    cfg = config.detector
    model = PlateDetector()

    def step(rng: random.Random, pool: RealPool | None) -> torch.Tensor:
        scenes = [detector_scene(rng, pool, cfg.size) for _ in range(cfg.batch)]
        images = to_tensor([s[0] for s in scenes], cfg.size, cfg.size)
        heat, terms, mask = heatmap_targets([s[1] for s in scenes], cfg.size)
        heat_logits, box_terms = model(images)
        box_loss = (F.l1_loss(box_terms, terms, reduction="none") * mask).sum() / mask.sum().clamp(min=1)
        return focal_loss(heat_logits, heat) + box_loss

    return _run("detector", config, seed, model, cfg.steps, cfg.lr, step, {"train_size": cfg.size})
