"""Checks on an uploaded image before anything is done with it: size, real format, pixel count
(a decompression bomb is refused from its header, before decoding), and a full decode.
Ingest runs them on frames and crops, recognition on the images sent to ``/v1/recognize``."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

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
