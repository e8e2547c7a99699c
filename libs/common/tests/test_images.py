"""``to_rgb``: every accepted image becomes the 8-bit RGB picture it shows, 16-bit PNGs included."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from alpr_common import check_image, to_rgb


def _picture() -> Image.Image:
    """An 8-bit greyscale picture with a dark plate-like box on a gradient."""
    grey = np.tile(np.linspace(20, 235, 160, dtype=np.uint8), (90, 1))
    grey[30:60, 40:120] = 12
    return Image.fromarray(grey)


def _png(array: np.ndarray) -> Image.Image:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    data = out.getvalue()
    check_image(data, field="image", max_bytes=10_000_000, max_pixels=1_000_000)  # accepted
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(("bits", "factor"), [(16, 257), (12, 16)])
def test_a_wide_greyscale_png_keeps_its_picture(bits: int, factor: int) -> None:
    picture = np.asarray(_picture())
    wide = _png(picture.astype(np.uint16) * factor)  # 12-bit sensors write 16-bit PNGs too
    assert wide.mode.startswith("I"), wide.mode
    # What Pillow's own conversion does: every sample above 255 clipped, the picture gone.
    assert (np.asarray(wide.convert("RGB")) == 255).mean() > 0.8
    rgb = np.asarray(to_rgb(wide))
    assert rgb.shape == (90, 160, 3)
    # Scaled from its own range (12 to 235) to 0-255: the same picture, contrast stretched.
    expected = (picture.astype(float) - 12) * 255 / (235 - 12)
    assert np.abs(rgb[..., 0].astype(float) - expected).max() <= 1.5, bits
    assert (rgb[..., 0] == rgb[..., 1]).all()


def test_a_flat_wide_image_is_black_not_an_error() -> None:
    flat = _png(np.full((10, 10), 4000, dtype=np.uint16))
    assert np.asarray(to_rgb(flat)).max() == 0


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "CMYK"])
def test_eight_bit_modes_convert_as_pillow_does(mode: str) -> None:
    image = _picture().convert("RGB").convert(mode)
    assert to_rgb(image).tobytes() == image.convert("RGB").tobytes()
