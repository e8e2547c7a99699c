"""Detection then reading, batched: images in, plate reads out. No HTTP here."""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from alpr_common import to_rgb

from .formats import PriorSettings, rerank, shapes_key, state_posterior
from .models.detector import PlateDetector
from .models.detector import decode as decode_boxes
from .models.reader import HEIGHT, WIDTH, PlateReader
from .models.state import CLASSES as STATE_CLASSES
from .models.state import HEIGHT as STATE_HEIGHT
from .models.state import PAD as STATE_PAD
from .models.state import WIDTH as STATE_WIDTH
from .models.state import StateClassifier
from .regions import REGIONS, UNKNOWN, US_STATES
from .text import calibrate
from .text import decode as decode_text
from .weights import WEIGHTS_DIR, load_weights


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@dataclass(slots=True)
class Read:
    plate: str
    confidence: float
    region: str
    region_confidence: float
    box: Box
    candidates: list[tuple[str, float]]
    detection_score: float
    crop: Image.Image | None = field(default=None, repr=False)
    region_guess: str | None = None  # the state model's best class before its threshold (US reads)


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    detect_size: int = 640  # the long side frames are scaled to for detection (a multiple of 32)
    detect_threshold: float = 0.3
    min_confidence: float = 0.05  # reads less certain than this are dropped
    region_threshold: float = 0.5  # below this the reader's region is `unknown`
    # Below this calibrated confidence the state model answers `unknown` for a US plate; None: the
    # threshold chosen on the state model's validation set (``threshold`` in weights/state.json).
    state_threshold: float | None = None
    # A US plate's state weighs the state model's answer with the plate's serial: a state whose
    # standard shapes (``formats.STATE_SHAPES``) the reader's candidates do not fit has its
    # probability times this (``formats.state_posterior``; 1 turns it off). 0.3: the reader's
    # own format penalty (``weights/reader.json``), chosen on rendered validation plates for the
    # same fact, how often a state's plate falls outside its table; not chosen again here.
    state_shape_penalty: float = 0.3
    top_n: int = 5
    # Each detected plate is read from crops this much larger than its box (x, y shares of the
    # box) and the readings vote: the reader was trained on crops with a detector's slack.
    crop_variants: tuple[tuple[float, float], ...] = ((0.04, 0.1), (0.0, 0.04), (0.09, 0.2))
    # A frame's reads come its own plate first (issue 21, item 2): ordered by log confidence plus
    # this weight times log(box area / the frame's largest box area), so a small plate of a car
    # further off leads only when it is much surer than the near one (a tenth of the area: about
    # 1.6 times as sure). See ``primary_first``.
    primary_size_weight: float = 0.2


# Bumped whenever the code after the networks changes what a read is (its text, confidence,
# region or order) without a setting that says so; 2: the frame's own plate first and the
# serial weighing the state (issue 21).
PIPELINE_REVISION = 2


def model_version(weight_digests: list[str], decisions: dict[str, object]) -> str:
    """``alpr-`` and a digest of the weights and of everything that decides a read from their
    outputs (the pipeline's revision, its options with the effective state threshold, the format
    prior and the temperatures). Misreads are counted per model version (R22): a release or a
    setting that reads the same frame differently is another version, not the same one."""
    canonical = json.dumps(decisions, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(":".join([*weight_digests, canonical]).encode()).hexdigest()
    return f"alpr-{digest[:12]}"


class DeviceError(ValueError):
    """A device this machine does not have or that is not one the pipeline runs on; the message
    says which (``alpr recognition eval --device``, ``RECOGNITION_DEVICE``)."""


# The devices the pipeline runs on (``RECOGNITION_DEVICE`` is checked against the same words).
DEVICE_PATTERN = r"auto|cpu|cuda(?::(\d+))?"
_DEVICE = re.compile(DEVICE_PATTERN)


def _pick_device(name: str) -> torch.device:
    """``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``; a CUDA device torch does not
    see is refused here, with what it sees, rather than at the first tensor moved there."""
    matched = _DEVICE.fullmatch(name)
    if matched is None:
        raise DeviceError(f"{name!r} is not a device: auto, cpu, cuda or cuda:N")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(matched.group(1) or 0)
    if index >= count:
        seen = "no CUDA device" if count == 0 else f"{count} CUDA device{'s' if count > 1 else ''}"
        raise DeviceError(f"{name} asked for, but torch sees {seen} here")
    return torch.device(name)


class Recognizer:
    """The loaded models. ``recognize`` is thread-safe and blocking: call it off the event loop.

    ``half``: run the networks in fp16; by default on CUDA only (the CPU has no fast fp16
    convolutions). The benchmark measures both on a GPU (issue 21, item 5)."""

    def __init__(
        self,
        weights_dir: Path = WEIGHTS_DIR,
        device: str = "auto",
        options: PipelineOptions | None = None,
        half: bool | None = None,
    ) -> None:
        self.options = options or PipelineOptions()
        self.device = _pick_device(device)
        self.half = self.device.type == "cuda" if half is None else half
        self.detector = PlateDetector()
        self.reader = PlateReader()
        detector_meta = load_weights("detector", self.detector, weights_dir)
        reader_meta = load_weights("reader", self.reader, weights_dir)
        self.prior = PriorSettings(**reader_meta.get("format_prior", {}))
        self.temperature = float(reader_meta.get("confidence_temperature", 1.0))
        self.state = StateClassifier()
        state_meta = load_weights("state", self.state, weights_dir)
        self.state_temperature = float(state_meta.get("temperature", 1.0))
        threshold = self.options.state_threshold
        self.state_threshold = float(state_meta.get("threshold", 0.5) if threshold is None else threshold)
        self.model_version = model_version(
            [str(meta.get("sha256")) for meta in (detector_meta, reader_meta, state_meta)],
            {
                "pipeline": PIPELINE_REVISION,
                "options": {**asdict(self.options), "state_threshold": self.state_threshold},
                "format_prior": asdict(self.prior),
                "temperature": self.temperature,
                "state_temperature": self.state_temperature,
            },
        )
        for model in (self.detector, self.reader, self.state):
            model.eval().to(self.device)
            if self.half:
                model.half()
        self._lock = threading.Lock()

    def _tensor(self, arrays: list[np.ndarray]) -> torch.Tensor:
        batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).to(self.device)
        batch = batch.half() if self.half else batch.float()
        return batch.div_(255.0)

    def detect(self, images: list[Image.Image]) -> list[list[tuple[Box, float]]]:
        size = self.options.detect_size
        arrays, scales = [], []
        for image in images:
            scale = size / max(image.size)
            resized = image.resize(
                (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                Image.Resampling.BILINEAR,
            )
            canvas = np.full((size, size, 3), 114, dtype=np.uint8)
            canvas[: resized.height, : resized.width] = np.asarray(resized)
            arrays.append(canvas)
            scales.append(scale)
        with torch.inference_mode():
            heat, terms = self.detector(self._tensor(arrays))
            found = decode_boxes(heat.float(), terms.float(), self.options.detect_threshold)
        out: list[list[tuple[Box, float]]] = []
        for image, scale, detections in zip(images, scales, found, strict=True):
            boxes = []
            for d in detections:
                x0, y0 = max(0, int(d.x / scale)), max(0, int(d.y / scale))
                x1, y1 = (
                    min(image.width, int((d.x + d.w) / scale)),
                    min(image.height, int((d.y + d.h) / scale)),
                )
                if x1 - x0 >= 4 and y1 - y0 >= 2:
                    boxes.append((Box(x0, y0, x1 - x0, y1 - y0), d.score))
            out.append(boxes)
        return out

    def read_crops(
        self, crops: list[Image.Image]
    ) -> list[tuple[str, float, list[tuple[str, float]], str, float]]:
        """Reads plate crops: (plate, confidence, candidates, region, region confidence) each."""
        if not crops:
            return []
        arrays = [
            np.asarray(c.convert("RGB").resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)) for c in crops
        ]
        with torch.inference_mode():
            log_probs, region_logits = self.reader(self._tensor(arrays))
        log_probs = log_probs.float().cpu()
        region_probs = region_logits.float().softmax(1).cpu()
        results = []
        for i in range(len(crops)):
            reading = decode_text(log_probs[:, i, :], self.options.top_n)
            p, idx = region_probs[i].max(0)
            region = REGIONS[int(idx)]
            region_conf = float(p)
            if region_conf < self.options.region_threshold:
                region = UNKNOWN
            results.append((reading.plate, reading.confidence, list(reading.candidates), region, region_conf))
        return results

    def state_probabilities(self, crops: list[Image.Image]) -> list[list[float]]:
        """The state model's calibrated probabilities over ``models.state.CLASSES`` for plate crops
        (the box widened by ``models.state.PAD``)."""
        if not crops:
            return []
        arrays = [
            np.asarray(c.convert("RGB").resize((STATE_WIDTH, STATE_HEIGHT), Image.Resampling.BILINEAR))
            for c in crops
        ]
        with torch.inference_mode():
            logits = self.state(self._tensor(arrays)).float().cpu()
        return [list(map(float, row)) for row in (logits / self.state_temperature).softmax(1).tolist()]

    def state_answer(self, probs: list[float]) -> tuple[str, float, str]:
        """(the state, or ``unknown`` below the threshold; its probability; the best class)."""
        best = max(range(len(probs)), key=probs.__getitem__)
        guess, p = STATE_CLASSES[best], probs[best]
        return (guess if p >= self.state_threshold else UNKNOWN), p, guess

    def read_states(self, crops: list[Image.Image]) -> list[tuple[str, float, str]]:
        """The issuing US state of plate crops by the state model alone (``state_answer`` each)."""
        return [self.state_answer(probs) for probs in self.state_probabilities(crops)]

    def settle(
        self, group: list[Reading], state_probs: list[float]
    ) -> tuple[str, float, list[tuple[str, float]], str, float, str | None] | None:
        """One plate from its crop variants' readings and the state model's probabilities: (plate,
        confidence, candidates, region, region confidence, the state's best guess), or None when
        it is not read.

        The variants vote; the state model's answer is weighed with the winning reading's
        candidates' serial shapes (issue 21, item 1); the candidates are re-ranked by the
        plate-format prior of the state (or Brazil's, or the generic US shapes) and their
        confidences calibrated (issue 21, items 2 and 3)."""
        chosen, agreed = _vote(group)
        plate, conf, cands, region, region_conf = chosen
        if len(plate) < 2 or conf * agreed < self.options.min_confidence:
            return None
        guess = None
        if region == UNKNOWN or region in US_STATES:
            # The reader names European countries and Brazil well, never a US state: for
            # the rest the state model answers (`unknown` for a plate it finds not American).
            probs = state_posterior(state_probs, STATE_CLASSES, cands, self.options.state_shape_penalty)
            region, region_conf, guess = self.state_answer(probs)
        key = shapes_key(region, guess is not None and guess != UNKNOWN)
        ranked = rerank(cands, key, self.prior)
        plate, conf = ranked[0][0], calibrate(min(1.0, ranked[0][1]) * agreed, self.temperature)
        cands = [(text, calibrate(score, self.temperature)) for text, score in ranked[: self.options.top_n]]
        return plate, conf, cands, region, region_conf, guess

    def recognize(self, images: list[Image.Image], keep_crops: bool = False) -> list[list[Read]]:
        """Every plate in each image, as reads (boxes in the image's own pixels)."""
        images = [to_rgb(img) for img in images]
        variants = self.options.crop_variants
        with self._lock:
            detections = self.detect(images)
            owners: list[int] = []
            crops: list[Image.Image] = []
            boxes: list[tuple[Box, float]] = []
            state_crops: list[Image.Image] = []
            for i, (image, found) in enumerate(zip(images, detections, strict=True)):
                for box, score in found:
                    crops.extend(_cut(image, box, pad_x, pad_y) for pad_x, pad_y in variants)
                    state_crops.append(_cut(image, box, *STATE_PAD))
                    owners.append(i)
                    boxes.append((box, score))
            readings = self.read_crops(crops)
            states = self.state_probabilities(state_crops)
        out: list[list[Read]] = [[] for _ in images]
        for k, (owner, (box, score)) in enumerate(zip(owners, boxes, strict=True)):
            settled = self.settle(readings[k * len(variants) : (k + 1) * len(variants)], states[k])
            if settled is None:
                continue
            plate, conf, cands, region, region_conf, guess = settled
            crop = crops[k * len(variants)] if keep_crops else None
            out[owner].append(Read(plate, conf, region, region_conf, box, cands, score, crop, guess))
        return [primary_first(reads, self.options.primary_size_weight) for reads in out]


def primary_first(reads: list[Read], size_weight: float) -> list[Read]:
    """A frame's reads, the frame's own plate first (issue 21, item 2): the camera looks at one
    car, whose plate is the nearest and so the largest; plates of cars further off are smaller.
    Confidence alone let a background plate read at 0.9934 lead a near one read right at 0.9927.
    The key is ``log(confidence) + size_weight * log(area / largest area)``; ties keep the
    detector's order."""
    if len(reads) < 2:
        return reads
    largest = max(max(1, r.box.w * r.box.h) for r in reads)

    def key(read: Read) -> float:
        area = max(1, read.box.w * read.box.h)
        return math.log(max(read.confidence, 1e-9)) + size_weight * math.log(area / largest)

    return sorted(reads, key=key, reverse=True)


Reading = tuple[str, float, list[tuple[str, float]], str, float]


def _cut(image: Image.Image, box: Box, pad_x: float, pad_y: float) -> Image.Image:
    dx, dy = box.w * pad_x, box.h * pad_y
    return image.crop((int(box.x - dx), int(box.y - dy), int(box.x + box.w + dx), int(box.y + box.h + dy)))


def _vote(readings: list[Reading]) -> tuple[Reading, float]:
    """The reading of one plate from its crop variants: the text with the most confidence summed
    over the variants that read it, and the share of the variants that agree."""
    totals: dict[str, float] = {}
    for reading in readings:
        totals[reading[0]] = totals.get(reading[0], 0.0) + reading[1]
    best_text = max(totals, key=lambda text: totals[text])
    agreeing = [r for r in readings if r[0] == best_text]
    best = max(agreeing, key=lambda r: r[1])
    return best, len(agreeing) / len(readings)
