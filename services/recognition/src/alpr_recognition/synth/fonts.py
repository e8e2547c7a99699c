"""Fonts for rendering plates: condensed bold sans faces from Debian's font packages.

``fonts-dejavu-core`` is on every machine we build on; the others (``fonts-liberation``,
``fonts-roboto-unhinted``, ``fonts-urw-base35``, ``fonts-freefont-ttf``, ``fonts-open-sans``)
add variety when installed and are skipped when not.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# Faces that look like plate lettering: heavy, narrow, sans.
PLATE_FACES = (
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSans-Bold.ttf",
    "LiberationSansNarrow-Bold.ttf",
    "LiberationSans-Bold.ttf",
    "RobotoCondensed-Bold.ttf",
    "Roboto-Bold.ttf",
    "NimbusSansNarrow-Bold.otf",
    "NimbusSans-Bold.otf",
    "FreeSansBold.ttf",
    "OpenSans-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
)
# Faces for state names and slogans: anything legible, some italic or serif.
CAPTION_FACES = (
    *PLATE_FACES,
    "DejaVuSerif-Bold.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "LiberationSerif-BoldItalic.ttf",
    "FreeSerifBoldItalic.ttf",
    "NimbusRoman-BoldItalic.otf",
    "Z003-MediumItalic.otf",
    "RobotoCondensed-BoldItalic.ttf",
    "DejaVuSans.ttf",
)


@functools.cache
def _index() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in _ROOTS:
        if root.is_dir():
            for path in root.rglob("*"):
                if path.suffix.lower() in {".ttf", ".otf"}:
                    found.setdefault(path.name, path)
    return found


@functools.cache
def available(faces: tuple[str, ...]) -> tuple[Path, ...]:
    index = _index()
    return tuple(index[name] for name in faces if name in index)


@functools.cache
def load(path: Path | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)


def plate_faces() -> tuple[Path | None, ...]:
    return available(PLATE_FACES) or (None,)


def caption_faces() -> tuple[Path | None, ...]:
    return available(CAPTION_FACES) or (None,)
