"""Fonts for rendering plates: condensed bold sans faces from Debian's font packages.

``fonts-dejavu-core`` is on every machine we build on; the others (``fonts-liberation``,
``fonts-roboto-unhinted``, ``fonts-urw-base35``, ``fonts-freefont-ttf``, ``fonts-open-sans``)
add variety when installed and are skipped when not.

What is rendered therefore depends on the fonts installed. ``ALPR_SYNTH_FONT_FAMILIES`` (file-name
prefixes, comma-separated, e.g. ``DejaVu``) keeps only those faces: the test suite renders with
DejaVu alone (the repository's ``conftest.py``), so that its rendered plates and its thresholds are
the same on a machine with more fonts; a training run can name the faces it was made with.
"""

from __future__ import annotations

import functools
import os
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


def families() -> tuple[str, ...]:
    """The file-name prefixes ``ALPR_SYNTH_FONT_FAMILIES`` keeps; empty: every face installed."""
    return tuple(f.strip() for f in os.environ.get("ALPR_SYNTH_FONT_FAMILIES", "").split(",") if f.strip())


@functools.cache
def available(faces: tuple[str, ...], only: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """The ``faces`` installed, in their order; with ``only``, those whose name starts with one of it."""
    index = _index()
    return tuple(index[name] for name in faces if name in index and (not only or name.startswith(only)))


@functools.cache
def load(path: Path | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)


def _chosen(faces: tuple[str, ...]) -> tuple[Path | None, ...]:
    """The faces to draw from; PIL's own font (None) where none is installed. A filter that keeps
    none of the installed faces is a mistake (a misspelt family), not a reason to draw with it."""
    only = families()
    found = available(faces, only)
    if not found and only and available(faces):
        raise ValueError(f"ALPR_SYNTH_FONT_FAMILIES={','.join(only)} keeps none of the installed faces")
    return found or (None,)


def plate_faces() -> tuple[Path | None, ...]:
    return _chosen(PLATE_FACES)


def caption_faces() -> tuple[Path | None, ...]:
    return _chosen(CAPTION_FACES)


def in_use() -> list[str]:
    """The faces rendering draws from now, by file name (a weights file records them: what a
    training run rendered depends on them); ``PIL default`` where no listed face is installed."""
    faces = {*plate_faces(), *caption_faces()}
    return sorted(face.name if face is not None else "PIL default" for face in faces)
