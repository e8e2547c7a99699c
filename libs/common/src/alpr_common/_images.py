"""Checks on an uploaded image before anything is done with it: size, real format, pixel count
(a decompression bomb is refused from its header, before decoding), and a full decode.
Ingest runs them on frames and crops, recognition on the images sent to ``/v1/recognize``.
``to_rgb`` is how every service turns an accepted image into 8-bit RGB pixels."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import cast

from PIL import Image, UnidentifiedImageError

from ._problems import ProblemFieldError, ValidationProblem

FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    sha256: str
    ext: str
    content_type: str
    width: int
    height: int


def _bad(field: str, message: str) -> ValidationProblem:
    return ValidationProblem(message, errors=[ProblemFieldError(loc=["body", field], msg=message)])


def check_image(data: bytes, *, field: str, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Answers the checked image or raises a 422 problem naming ``field``."""
    if not data:
        raise _bad(field, "The image is empty.")
    if len(data) > max_bytes:
        raise _bad(field, f"The image is larger than {max_bytes} bytes.")
    try:
        with warnings.catch_warnings():
            # The pixel limit below decides; Pillow's own bomb warning is not an answer.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
    except Image.DecompressionBombError as exc:
        raise _bad(field, f"The image has more than {max_pixels} pixels.") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise _bad(field, "The file is not a readable image.") from exc
    if fmt not in FORMATS:
        raise _bad(field, "Only JPEG and PNG images are accepted.")
    if width * height > max_pixels:
        raise _bad(field, f"The image has more than {max_pixels} pixels.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            # Every byte of the compressed stream is read (a truncated or corrupt image fails),
            # but JPEGs are reconstructed at 1/8 scale: the check, not the pixels, is wanted.
            img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _bad(field, "The image is corrupt or truncated.") from exc
    ext, content_type = FORMATS[fmt]
    return CheckedImage(data, hashlib.sha256(data).hexdigest(), ext, content_type, width, height)


# Pillow's modes of PNG and JPEG whose samples can exceed 8 bits: a 16-bit greyscale PNG (what
# monochrome and infrared cameras often write) opens as I;16 (I in older Pillow), and Pillow's own
# conversion to RGB clips every sample above 255.
_WIDE_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def to_rgb(img: Image.Image) -> Image.Image:
    """The image as 8-bit RGB. Samples wider than 8 bits are scaled from the image's own range
    (its darkest to its brightest sample) to 0-255: ``convert("RGB")`` alone turned a 16-bit
    frame white, and nothing in it could be read."""
    if img.mode not in _WIDE_MODES:
        return img.convert("RGB")
    wide = img if img.mode == "I" else img.convert("I")
    low, high = cast(tuple[float, float], wide.getextrema())  # one band: its (low, high)
    scale = 255.0 / max(high - low, 1.0)
    return wide.point(lambda v: (v - low) * scale).convert("L").convert("RGB")
