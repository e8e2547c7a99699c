"""``to_rgb``: every accepted image becomes the 8-bit RGB picture it shows, 16-bit PNGs included."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image, ImageOps

from alpr_common import check_image, decode_rgb, to_rgb


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


def _tagged(picture: Image.Image, turn: int, fmt: str = "PNG") -> bytes:
    exif = Image.Exif()
    exif[0x0112] = turn
    out = io.BytesIO()
    picture.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("turn", range(1, 9))
def test_an_exif_orientation_is_applied_as_pillow_applies_it(turn: int) -> None:
    data = _tagged(_picture().convert("RGB"), turn)
    checked = check_image(data, field="image", max_bytes=10_000_000, max_pixels=1_000_000)
    with Image.open(io.BytesIO(data)) as stored:
        shown = to_rgb(stored)
        assert shown.tobytes() == ImageOps.exif_transpose(stored).convert("RGB").tobytes()
        assert to_rgb(shown).tobytes() == shown.tobytes()  # turned once, not again
    # The size recorded for the frame is the size it is shown at (boxes are drawn on that).
    assert (checked.width, checked.height) == shown.size == ((90, 160) if turn >= 5 else (160, 90))


def test_a_frame_stored_on_its_side_is_shown_upright() -> None:
    """Orientation 6: the camera was turned a quarter clockwise; viewers turn it back."""
    upright = _picture().convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what such a camera writes
    with Image.open(io.BytesIO(_tagged(stored, 6, "JPEG"))) as opened:
        shown = np.asarray(to_rgb(opened)).astype(float)
    assert shown.shape == (90, 160, 3)
    assert np.abs(shown - np.asarray(upright).astype(float)).mean() < 3  # JPEG's loss only


def test_corrupt_exif_is_no_orientation_and_no_refusal() -> None:
    """Pillow parses a JPEG's EXIF when it opens it, and warns or raises on malformed bytes (this
    suite turns warnings into errors): the picture is accepted and shown as stored."""
    good = Image.Exif()
    good[0x0112] = 6
    for exif in (good.tobytes()[:11], b"Exif\x00\x00II*\x00" + b"\xff" * 40, b"\x00" * 3, b"MM\x00*junk"):
        out = io.BytesIO()
        with warnings.catch_warnings():  # Pillow warns while writing them too
            warnings.simplefilter("ignore")
            _picture().convert("RGB").save(out, format="JPEG", exif=exif)
        data = out.getvalue()
        checked = check_image(data, field="image", max_bytes=10_000_000, max_pixels=1_000_000)
        assert decode_rgb(data).size == (checked.width, checked.height) == (160, 90)
