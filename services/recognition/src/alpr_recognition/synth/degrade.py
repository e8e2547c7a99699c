"""Camera effects for training images: perspective, blur, noise, glare, night/IR, exposure, JPEG."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

Point = tuple[float, float]


def perspective_coefficients(src: Sequence[Point], dst: Sequence[Point]) -> list[float]:
    """PIL's PERSPECTIVE data mapping output points ``dst`` back to input points ``src``."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    solution = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64))
    return [float(c) for c in solution]


def random_quad(rng: random.Random, w: float, h: float, skew: float, rotate_deg: float) -> list[Point]:
    """The plate's corners after a random tilt, yaw and roll, centred on the origin."""
    import math

    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    jittered = [(x + rng.uniform(-skew, skew) * w, y + rng.uniform(-skew, skew) * h) for x, y in corners]
    yaw = rng.uniform(-skew, skew) * 1.5  # one side nearer the camera than the other
    jittered = [(x, y * (1 + yaw * (x / w))) for x, y in jittered]
    angle = math.radians(rng.uniform(-rotate_deg, rotate_deg))
    cos, sin = math.cos(angle), math.sin(angle)
    return [(x * cos - y * sin, x * sin + y * cos) for x, y in jittered]


def paste_warped(canvas: Image.Image, plate: Image.Image, quad: Sequence[Point]) -> None:
    """Draws ``plate`` onto ``canvas`` with its corners at ``quad`` (clockwise from top-left)."""
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    left, top = int(min(xs)), int(min(ys))
    right, bottom = int(max(xs)) + 1, int(max(ys)) + 1
    size = (max(1, right - left), max(1, bottom - top))
    local = [(x - left, y - top) for x, y in quad]
    src = [(0.0, 0.0), (plate.width, 0.0), (plate.width, plate.height), (0.0, plate.height)]
    coeffs = perspective_coefficients(src, local)
    warped = plate.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(local, fill=255)
    canvas.paste(warped, (left, top), mask)


def photometric(rng: random.Random, image: Image.Image, strength: float = 1.0) -> Image.Image:
    """Random exposure, colour, blur, noise, glare, night/IR look and JPEG artefacts."""
    img = image.convert("RGB")
    if rng.random() < 0.8 * strength:
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.45, 1.5))
        img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.45, 1.4))
    if rng.random() < 0.4 * strength:
        img = ImageEnhance.Color(img).enhance(rng.uniform(0.0, 1.6))
    arr: np.ndarray = np.asarray(img, dtype=np.float64)
    if rng.random() < 0.12 * strength:  # night / infrared: grey, dark scene, bright retroreflective plate
        grey = arr.mean(axis=2, keepdims=True)
        arr = np.repeat(grey, 3, axis=2)
        gamma = rng.uniform(1.3, 2.5)
        arr = 255.0 * (arr / 255.0) ** gamma
        arr = arr * rng.uniform(1.0, 1.8)
    if rng.random() < 0.12 * strength:  # over-exposure: washed out
        arr = arr * rng.uniform(1.3, 2.2) + rng.uniform(0, 60)
    if rng.random() < 0.15 * strength:  # glare blob
        h, w = arr.shape[:2]
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        radius = rng.uniform(0.1, 0.5) * max(h, w)
        yy, xx = np.ogrid[:h, :w]
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
        arr = arr + blob[..., None] * rng.uniform(60, 200)
    if rng.random() < 0.35 * strength:  # sensor noise
        arr = arr + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(2, 14), arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if rng.random() < 0.35 * strength:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.6)))
    if rng.random() < 0.15 * strength:  # motion blur, horizontal
        k = rng.choice([3, 5])
        img = img.filter(ImageFilter.BoxBlur(0)).filter(
            ImageFilter.Kernel((k, k), _motion_kernel(k), scale=k)
        )
    if rng.random() < 0.5 * strength:
        buffer = io.BytesIO()
        img.save(buffer, format="JPEG", quality=rng.randint(15, 90))
        buffer.seek(0)
        img = Image.open(buffer).convert("RGB")
    return img


def _motion_kernel(k: int) -> list[float]:
    kernel = [0.0] * (k * k)
    for i in range(k):
        kernel[(k // 2) * k + i] = 1.0
    return kernel


def dirt(rng: random.Random, plate: Image.Image) -> Image.Image:
    """Mud, rust and fading on the plate face."""
    img = plate.copy()
    draw = ImageDraw.Draw(img, "RGBA")
    for _ in range(rng.randint(0, 6)):
        x, y = rng.uniform(0, img.width), rng.uniform(0, img.height)
        r = rng.uniform(0.02, 0.15) * img.width
        shade = rng.randint(60, 140)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(shade, shade - 10, shade - 30, rng.randint(20, 90)))
    return img
