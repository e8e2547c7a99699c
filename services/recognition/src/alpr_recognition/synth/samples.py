"""Training samples: plate crops for the reader, scenes with boxes for the detector.

Both mix rendered plates with the training part of the development photos (never the
held-out part): real crops teach the reader real cameras, real frames teach the detector what
is *not* a plate.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from ..devset import Labelled
from ..regions import EU_COUNTRIES, REGION_INDEX, UNKNOWN, US_STATES
from . import fonts
from .degrade import dirt, paste_warped, photometric, random_quad
from .plates import LETTERS, render_plate, render_us

Box = tuple[float, float, float, float]  # x, y, w, h


@dataclass(slots=True)
class RealImage:
    image: Image.Image  # downscaled so the long side is at most ``max_side``
    box: Box  # the plate, in the downscaled image
    plate: str
    region: str  # REGIONS code or unknown
    group: str = ""  # the development set's own grouping: us, eu or br
    source: str = ""  # the image's file name in the development set


@dataclass(slots=True)
class RealPool:
    images: list[RealImage] = field(default_factory=list)
    crops: list[RealImage] = field(default_factory=list)  # full-resolution context around the plate

    @classmethod
    def load(cls, rows: list[Labelled], images_dir: Path, max_side: int = 800) -> RealPool:
        pool = cls()
        for row in rows:
            if not row.plate:
                continue
            with Image.open(images_dir / row.filename) as opened:
                full = opened.convert("RGB")
            region = "BRA" if row.region == "br" else UNKNOWN
            # Context twice the plate's size around it, kept at full resolution for the reader.
            cx0, cy0 = max(0, row.x - row.w // 2), max(0, row.y - row.h)
            cx1, cy1 = min(full.width, row.x + row.w + row.w // 2), min(full.height, row.y + 2 * row.h)
            crop = full.crop((cx0, cy0, cx1, cy1))
            pool.crops.append(
                RealImage(
                    crop,
                    (row.x - cx0, row.y - cy0, row.w, row.h),
                    row.plate,
                    region,
                    row.region,
                    row.filename,
                )
            )
            scale = min(1.0, max_side / max(full.size))
            small = full.resize(
                (max(1, int(full.width * scale)), max(1, int(full.height * scale))), Image.Resampling.BILINEAR
            )
            box = (row.x * scale, row.y * scale, row.w * scale, row.h * scale)
            pool.images.append(RealImage(small, box, row.plate, region))
        return pool


def jittered_crop(rng: random.Random, image: Image.Image, box: Box, loose: float = 1.0) -> Image.Image:
    """Cuts ``box`` with the slack a detector's box has: a little too big, too small or off-centre."""
    x, y, w, h = box
    left = x - w * rng.uniform(-0.04, 0.12) * loose
    right = x + w + w * rng.uniform(-0.04, 0.12) * loose
    top = y - h * rng.uniform(-0.06, 0.2) * loose
    bottom = y + h + h * rng.uniform(-0.06, 0.2) * loose
    return image.crop((int(left), int(top), int(right) + 1, int(bottom) + 1))


def _car_colour(rng: random.Random) -> tuple[int, int, int]:
    grey = rng.randint(10, 240)
    if rng.random() < 0.6:
        return (grey, grey, grey)
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))


def synthetic_crop(rng: random.Random, layout: str | None = None) -> tuple[Image.Image, str, str]:
    """A rendered plate on a bumper, warped and cut as a detector would, with camera effects."""
    plate = render_plate(rng, layout)
    canvas, box = _on_bumper(rng, plate.image)
    crop = jittered_crop(rng, canvas, box)
    return _far_and_photometric(rng, crop), plate.text, plate.region


def _on_bumper(rng: random.Random, image: Image.Image) -> tuple[Image.Image, Box]:
    """A plate face, maybe dirty, warped onto a bumper-coloured canvas, and its box there."""
    face = dirt(rng, image) if rng.random() < 0.3 else image
    scale = rng.uniform(0.25, 0.6)
    w, h = face.width * scale, face.height * scale
    canvas = Image.new("RGB", (int(w * 1.8), int(h * 2.2)), _car_colour(rng))
    quad = random_quad(rng, w, h, skew=0.06, rotate_deg=7)
    cx, cy = canvas.width / 2, canvas.height / 2
    quad = [(x + cx, y + cy) for x, y in quad]
    paste_warped(canvas, face, quad)
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return canvas, (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _far_and_photometric(rng: random.Random, crop: Image.Image) -> Image.Image:
    if rng.random() < 0.5:  # small plates far away: lose resolution before the reader upsamples
        factor = rng.uniform(0.2, 0.6)
        small = crop.resize(
            (max(8, int(crop.width * factor)), max(4, int(crop.height * factor))), Image.Resampling.BILINEAR
        )
        crop = small.resize(crop.size, Image.Resampling.BILINEAR)
    return photometric(rng, crop)


def widen(box: Box, pad: tuple[float, float]) -> tuple[int, int, int, int]:
    """``box`` grown by ``pad`` (shares of its width and height) on each side, as crop corners."""
    x, y, w, h = box
    dx, dy = w * pad[0], h * pad[1]
    return int(x - dx), int(y - dy), int(x + w + dx), int(y + h + dy)


def _slack(rng: random.Random, box: Box) -> Box:
    """A detector's box for the plate ``box``: a little off in place and size."""
    x, y, w, h = box
    nw, nh = w * rng.uniform(0.92, 1.1), h * rng.uniform(0.88, 1.15)
    return (
        x + (w - nw) / 2 + w * rng.uniform(-0.05, 0.05),
        y + (h - nh) / 2 + h * rng.uniform(-0.08, 0.08),
        nw,
        nh,
    )


def synthetic_state_crop(
    rng: random.Random, state: str | None, pad: tuple[float, float]
) -> tuple[Image.Image, str]:
    """The state model's view of a rendered plate: a US plate of ``state``, or (``None``) a
    European or Brazilian one, labelled ``unknown``; the detector's box widened by ``pad``."""
    if state is None:
        plate = render_plate(rng, rng.choice(["eu", "br"]))
    else:
        plate = render_us(rng, state=state)
    canvas, box = _on_bumper(rng, plate.image)
    crop = canvas.crop(widen(_slack(rng, box), pad))
    return _far_and_photometric(rng, crop), state or UNKNOWN


def real_state_crop(rng: random.Random | None, sample: RealImage, pad: tuple[float, float]) -> Image.Image:
    """The state model's view of a real plate: its box with a detector's slack (none without
    ``rng``: validation), widened by ``pad``, with mild camera effects."""
    if rng is None:
        return sample.image.crop(widen(sample.box, pad))
    crop = sample.image.crop(widen(_slack(rng, sample.box), pad))
    return photometric(rng, crop, strength=0.6)


def real_crop(
    rng: random.Random, pool: RealPool, group_weights: dict[str, float] | None = None
) -> tuple[Image.Image, str, str, str]:
    """A real plate, cut with a detector's slack; ``group_weights`` favours some of the
    development set's groups (``{"us": 2.5}`` draws US plates 2.5 times as often)."""
    if group_weights:
        weights = [group_weights.get(c.group, 1.0) for c in pool.crops]
        sample = rng.choices(pool.crops, weights=weights)[0]
    else:
        sample = rng.choice(pool.crops)
    crop = jittered_crop(rng, sample.image, sample.box, loose=1.3)
    if rng.random() < 0.3:
        angle = rng.uniform(-4, 4)
        crop = crop.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=(90, 90, 90))
    return photometric(rng, crop, strength=0.6), sample.plate, sample.region, sample.group


def region_targets(region: str, group: str) -> list[int]:
    """The region classes a sample may belong to. A rendered plate names its one region; a real
    photo is known only by its group (US: any state; EU: any EU country; Brazil), so the head
    learns "one of these" from it rather than being taught that a real US plate is ``unknown``
    or, worse, the one region real photos are labelled with."""
    if region != UNKNOWN:
        return [REGION_INDEX[region]]
    if group == "us":
        return [REGION_INDEX[code] for code in US_STATES]
    if group == "eu":
        return [REGION_INDEX[code] for code in EU_COUNTRIES.values()]
    return []


# --- detector scenes -------------------------------------------------------------------------


def _distractors(rng: random.Random, canvas: Image.Image) -> None:
    """Things that are not plates: words, signs, grilles, lights."""
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    for _ in range(rng.randint(0, 6)):
        kind = rng.random()
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        colour = _car_colour(rng)
        if kind < 0.4:
            word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 10)))
            font = fonts.load(rng.choice(fonts.caption_faces()), rng.randint(10, 40))
            draw.text((x, y), word if rng.random() < 0.5 else word.title(), font=font, fill=colour)
        elif kind < 0.7:
            rw, rh = rng.uniform(10, w / 3), rng.uniform(5, h / 4)
            draw.rectangle((x, y, x + rw, y + rh), fill=colour, outline=_car_colour(rng))
        elif kind < 0.85:
            rw, rh = rng.uniform(30, w / 2), rng.uniform(10, h / 6)
            for k in range(int(rh // 4)):
                draw.line((x, y + 4 * k, x + rw, y + 4 * k), fill=colour, width=2)
        else:
            r = rng.uniform(4, 30)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, rng.randint(0, 255), rng.randint(0, 80)))


def _procedural_background(rng: random.Random, size: int) -> Image.Image:
    top, bottom = _car_colour(rng), _car_colour(rng)
    canvas = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(canvas)
    for y in range(size):
        t = y / size
        draw.line(
            [(0, y), (size, y)],
            fill=tuple(int(a * (1 - t) + b * t) for a, b in zip(top, bottom, strict=True)),
        )
    for _ in range(rng.randint(1, 5)):  # car bodies and road shapes
        bx, by = rng.uniform(-size / 2, size), rng.uniform(0, size)
        rw, rh = rng.uniform(size / 4, size), rng.uniform(size / 8, size / 2)
        draw.rounded_rectangle((bx, by, bx + rw, by + rh), radius=int(rh / 4), fill=_car_colour(rng))
    return canvas


def _real_background(rng: random.Random, pool: RealPool, size: int) -> Image.Image:
    """A window of a real frame that does not hold its plate (grilles, lights, badges, roads)."""
    sample = rng.choice(pool.images)
    image = sample.image
    bx, by, bw, bh = sample.box
    for _ in range(10):
        side = int(min(image.size) * rng.uniform(0.3, 1.0))
        x, y = rng.randint(0, image.width - side), rng.randint(0, image.height - side)
        if x + side < bx or bx + bw < x or y + side < by or by + bh < y:
            return image.crop((x, y, x + side, y + side)).resize((size, size), Image.Resampling.BILINEAR)
    return _procedural_background(rng, size)


def _paste_plates(rng: random.Random, canvas: Image.Image, count: int, taken: list[Box]) -> list[Box]:
    boxes: list[Box] = []
    size = canvas.width
    for _ in range(count):
        plate = render_plate(rng)
        face = dirt(rng, plate.image) if rng.random() < 0.3 else plate.image
        width = size * plate_span(rng)
        height = width * face.height / face.width
        quad = random_quad(rng, width, height, skew=0.08, rotate_deg=10)
        for _ in range(10):
            cx, cy = rng.uniform(width / 2, size - width / 2), rng.uniform(height, size - height)
            moved = [(x + cx, y + cy) for x, y in quad]
            xs, ys = [p[0] for p in moved], [p[1] for p in moved]
            box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
            if not any(_overlaps(box, other) for other in taken + boxes):
                if rng.random() < 0.5:  # a bumper around it
                    pad = rng.uniform(0.3, 1.2)
                    x, y, bw, bh = box
                    bumper = (x - bw * pad, y - bh * pad, x + bw * (1 + pad), y + bh * (1 + pad))
                    ImageDraw.Draw(canvas).rounded_rectangle(
                        bumper, radius=int(bh / 2), fill=_car_colour(rng)
                    )
                paste_warped(canvas, face, moved)
                boxes.append(box)
                break
    return boxes


def plate_span(rng: random.Random) -> float:
    """A plate's width as a share of the training window: 4 % to 65 %, log-uniform."""
    return math.exp(rng.uniform(math.log(0.04), math.log(0.65)))


def _overlaps(a: Box, b: Box) -> bool:
    return not (a[0] + a[2] < b[0] or b[0] + b[2] < a[0] or a[1] + a[3] < b[1] or b[1] + b[3] < a[1])


def detector_scene(rng: random.Random, pool: RealPool | None, size: int) -> tuple[Image.Image, list[Box]]:
    """A square training frame and its plates' boxes (x, y, w, h in its pixels)."""
    if pool is not None and pool.images and rng.random() < 0.5:
        sample = rng.choice(pool.images)
        bx, by, bw, bh = sample.box
        # Scale so the plate spans 4-65 % of the window (log-uniform: the detector is fully
        # convolutional, so it must see every plate size in pixels it will meet), then a window
        # that holds it.
        target = size * plate_span(rng)
        scale = min(target / max(bw, 1), size * 2.5 / max(sample.image.size))
        scaled = sample.image.resize(
            (max(1, int(sample.image.width * scale)), max(1, int(sample.image.height * scale))),
            Image.Resampling.BILINEAR,
        )
        sbx, sby, sbw, sbh = bx * scale, by * scale, bw * scale, bh * scale
        lo_x, hi_x = int(sbx + sbw - size), int(sbx)
        lo_y, hi_y = int(sby + sbh - size), int(sby)
        ox = rng.randint(min(lo_x, hi_x), max(lo_x, hi_x))
        oy = rng.randint(min(lo_y, hi_y), max(lo_y, hi_y))
        canvas = Image.new("RGB", (size, size), _car_colour(rng))
        canvas.paste(scaled, (-ox, -oy))
        boxes = [(sbx - ox, sby - oy, sbw, sbh)]
        if rng.random() < 0.25:
            boxes += _paste_plates(rng, canvas, 1, boxes)
    else:
        if pool is not None and pool.images and rng.random() < 0.6:
            canvas = _real_background(rng, pool, size)
        else:
            canvas = _procedural_background(rng, size)
        _distractors(rng, canvas)
        count = rng.choices([0, 1, 2, 3], weights=[0.12, 0.6, 0.2, 0.08])[0]
        boxes = _paste_plates(rng, canvas, count, [])
    if rng.random() < 0.5:
        canvas = canvas.transpose(
            Image.Transpose.FLIP_LEFT_RIGHT
        )  # plates mirror too: only boxes matter here
        boxes = [(size - x - w, y, w, h) for x, y, w, h in boxes]
    return photometric(rng, canvas), boxes
