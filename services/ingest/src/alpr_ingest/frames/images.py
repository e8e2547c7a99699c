"""Image work of ingest: crops cut from frames and frames re-encoded as JPEG (the upload
checks themselves are ``alpr_common.check_image``, shared with recognition)."""

from __future__ import annotations

import io

from PIL import Image


def crop_jpeg(data: bytes, box: tuple[int, int, int, int]) -> bytes:
    """The region ``(x, y, w, h)`` of an image, as JPEG (clipped to the image)."""
    x, y, w, h = box
    with Image.open(io.BytesIO(data)) as img:
        region = img.convert("RGB").crop((x, y, min(x + w, img.width), min(y + h, img.height)))
        out = io.BytesIO()
        region.save(out, format="JPEG", quality=90)
        return out.getvalue()


def to_jpeg(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        if img.format == "JPEG":
            return data
        out = io.BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=90)
        return out.getvalue()
