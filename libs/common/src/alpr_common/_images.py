"""Checks on an uploaded image before anything is done with it: size, real format, pixel count
(a decompression bomb is refused from its header, before decoding), and a full decode.
Ingest runs them on frames and crops, recognition on the images sent to ``/v1/recognize``.
``to_rgb`` is how every service turns an accepted image into the 8-bit RGB picture it shows:
turned as its EXIF orientation says (as browsers and camera SDKs show it, so boxes drawn on it
land where a person sees the plate), 16-bit samples scaled to 8 bits."""

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
    width: int  # as shown: a quarter-turn EXIF orientation swaps the stored width and height
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
            # The pixel limit below decides; Pillow's own bomb warning is not an answer, nor are
            # its warnings about a camera's malformed EXIF (read when a JPEG is opened).
            warnings.simplefilter("ignore")
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # malformed EXIF warns when a JPEG is opened
            with Image.open(io.BytesIO(data)) as img:
                turned = orientation(img) in _QUARTER_TURNS
                # Every byte of the compressed stream is read (a truncated or corrupt image
                # fails), but JPEGs are reconstructed at 1/8 scale: the check, not the pixels.
                img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _bad(field, "The image is corrupt or truncated.") from exc
    if turned:
        width, height = height, width  # the size it is shown at (to_rgb turns it so)
    ext, content_type = FORMATS[fmt]
    return CheckedImage(data, hashlib.sha256(data).hexdigest(), ext, content_type, width, height)


# Pillow's modes of PNG and JPEG whose samples can exceed 8 bits: a 16-bit greyscale PNG (what
# monochrome and infrared cameras often write) opens as I;16 (I in older Pillow), and Pillow's own
# conversion to RGB clips every sample above 255.
_WIDE_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


_EXIF_ORIENTATION = 0x0112
# How each EXIF orientation (2-8) is undone; 5-8 swap width and height.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


def orientation(img: Image.Image) -> int:
    """The EXIF orientation (1-8) the image asks to be shown in: 1 when it has none, or a value
    outside 1-8, or EXIF that cannot be parsed (a camera's corrupt metadata is not a reason to
    refuse its picture, and Pillow's parser raises and warns in many ways on hostile bytes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = img.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - any parse failure means "no usable orientation"
        return 1
    return value if isinstance(value, int) and value in _UPRIGHT else 1


def to_rgb(img: Image.Image) -> Image.Image:
    """The image as 8-bit RGB pixels and nothing else. Samples wider than 8 bits are scaled from
    the image's own range (its darkest to its brightest sample) to 0-255: ``convert("RGB")``
    alone turned a 16-bit frame white, and nothing in it could be read. An EXIF orientation is
    applied first: a frame stored on its side was read as nothing. The answer carries no
    metadata (Pillow copies ``info``, EXIF included, to derived images), so turning it again
    changes nothing."""
    turn = orientation(img)
    if turn != 1:
        img = img.transpose(_UPRIGHT[turn])
    if img.mode not in _WIDE_MODES:
        rgb = img.convert("RGB")
    else:
        wide = img if img.mode == "I" else img.convert("I")
        low, high = cast(tuple[float, float], wide.getextrema())  # one band: its (low, high)
        scale = 255.0 / max(high - low, 1.0)
        rgb = wide.point(lambda v: (v - low) * scale).convert("L").convert("RGB")
    rgb.info = {}
    return rgb


def decode_rgb(data: bytes) -> Image.Image:
    """An accepted image's bytes (``check_image``) as the picture it shows (``to_rgb``). Pillow's
    warnings about malformed metadata are not passed on: the picture is what is wanted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as img:
            return to_rgb(img)
