"""Helpers of the recognition tests: frames with plates the test chooses, rendered at test time."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

from PIL import Image, ImageDraw

from alpr_recognition.synth.degrade import paste_warped
from alpr_recognition.synth.plates import render_text

Box = tuple[int, int, int, int]

# The development images: ALPR_DEV_DATA, else ../shared/data/plates-dev beside the checkout.
DEV_DIR = Path(
    os.environ.get("ALPR_DEV_DATA", Path(__file__).resolve().parents[4] / "shared" / "data" / "plates-dev")
)


def scene(
    text: str, *, layout: str = "us", seed: int = 0, size: tuple[int, int] = (960, 720)
) -> tuple[Image.Image, Box]:
    """A frame showing one plate reading ``text`` on a car's rear, and the plate's box."""
    rng = random.Random(seed)
    width, height = size
    frame = Image.new("RGB", size, (rng.randint(60, 140),) * 3)
    draw = ImageDraw.Draw(frame)
    body = (rng.randint(20, 230), rng.randint(20, 230), rng.randint(20, 230))
    draw.rounded_rectangle((width * 0.15, height * 0.25, width * 0.85, height * 0.9), radius=40, fill=body)
    draw.rectangle((width * 0.2, height * 0.3, width * 0.8, height * 0.5), fill=(30, 40, 50))  # rear window
    plate = render_text(rng, text, layout).image
    plate_w = width * rng.uniform(0.2, 0.28)
    plate_h = plate_w * plate.height / plate.width
    cx, cy = width / 2 + rng.uniform(-40, 40), height * 0.7
    quad = [
        (cx - plate_w / 2, cy - plate_h / 2),
        (cx + plate_w / 2, cy - plate_h / 2 + rng.uniform(-3, 3)),
        (cx + plate_w / 2, cy + plate_h / 2),
        (cx - plate_w / 2, cy + plate_h / 2 + rng.uniform(-3, 3)),
    ]
    paste_warped(frame, plate, quad)
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return frame, (int(min(xs)), int(min(ys)), int(max(xs) - min(xs)), int(max(ys) - min(ys)))


def tilted_on_bumper(
    plate: Image.Image, room: tuple[float, float], tilt: float
) -> tuple[Image.Image, float, float]:
    """``plate`` warped by ``tilt`` pixels onto a dark canvas ``room`` times its size; the canvas and
    the plate's offset there."""
    canvas = Image.new("RGB", (int(plate.width * room[0]), int(plate.height * room[1])), (40, 40, 45))
    dx, dy = (canvas.width - plate.width) / 2, (canvas.height - plate.height) / 2
    quad = [
        (dx, dy + tilt),
        (dx + plate.width, dy - tilt),
        (dx + plate.width, dy + plate.height - tilt),
        (dx, dy + plate.height + tilt),
    ]
    paste_warped(canvas, plate, quad)
    return canvas, dx, dy


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def empty_road(seed: int = 0) -> bytes:
    """A frame with no plate: sky, road, lane marks, and a car whose plate mount is empty."""
    rng = random.Random(seed)
    frame = Image.new("RGB", (800, 600), (110, 150, 200))
    draw = ImageDraw.Draw(frame)
    draw.rectangle((0, 350, 800, 600), fill=(70, 70, 75))
    for x in range(0, 800, 120):
        draw.rectangle((x, 560, x + 60, 570), fill=(230, 230, 230))
    body = (rng.randint(20, 230), rng.randint(20, 230), rng.randint(20, 230))
    draw.rounded_rectangle((220, 250, 580, 520), radius=30, fill=body)
    draw.rectangle((250, 270, 550, 350), fill=(30, 40, 50))  # rear window
    draw.ellipse((240, 380, 290, 420), fill=(200, 30, 30))  # lights
    draw.ellipse((510, 380, 560, 420), fill=(200, 30, 30))
    draw.rectangle(
        (350, 430, 450, 480), fill=(max(0, body[0] - 30), max(0, body[1] - 30), max(0, body[2] - 30))
    )
    return jpeg(frame)
