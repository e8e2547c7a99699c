"""Crops ingest cuts from a frame and crops it re-encodes keep the picture of a 16-bit greyscale
PNG (a monochrome or infrared camera's): Pillow's conversion alone stored them white."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from alpr_ingest.frames.images import crop_jpeg, to_jpeg


def _wide_png() -> tuple[bytes, np.ndarray]:
    grey = np.tile(np.linspace(10, 240, 200, dtype=np.uint8), (120, 1))
    grey[40:80, 50:150] = 10  # a dark plate-sized box
    out = io.BytesIO()
    Image.fromarray(grey.astype(np.uint16) * 257).save(out, format="PNG")
    return out.getvalue(), grey


def _pixels(jpeg_data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(jpeg_data)) as img:
        assert img.format == "JPEG"
        return np.asarray(img.convert("L")).astype(float)


def test_a_crop_of_a_16_bit_frame_shows_the_frame() -> None:
    data, grey = _wide_png()
    crop = _pixels(crop_jpeg(data, (30, 20, 140, 80)))
    expected = (grey[20:100, 30:170].astype(float) - 10) * 255 / 230
    assert crop.shape == expected.shape
    assert np.abs(crop - expected).mean() < 3  # JPEG's loss, not a white crop
    assert crop[25:55, 25:115].mean() < 20  # the dark box is dark


def test_a_16_bit_crop_re_encoded_shows_the_crop() -> None:
    data, grey = _wide_png()
    expected = (grey.astype(float) - 10) * 255 / 230
    assert np.abs(_pixels(to_jpeg(data)) - expected).mean() < 3


def test_a_crop_of_a_frame_stored_on_its_side_is_cut_from_the_upright_picture() -> None:
    """Boxes are found on the picture as shown (EXIF orientation applied): the crop is cut there."""
    grey = np.full((120, 200), 200, dtype=np.uint8)
    grey[40:80, 50:150] = 20  # a dark plate-sized box, upright
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter anticlockwise; shown turned back
    out = io.BytesIO()
    Image.fromarray(grey).transpose(Image.Transpose.ROTATE_90).save(out, format="JPEG", exif=exif.tobytes())
    crop = _pixels(crop_jpeg(out.getvalue(), (50, 40, 100, 40)))
    assert crop.shape == (40, 100)
    assert crop.mean() < 40  # the dark box, not the light background around it
