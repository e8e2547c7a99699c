"""Image work of ingest: uploads checked against the service's limits (by
``alpr_common.check_image``, shared with recognition), crops cut from frames and frames
re-encoded as JPEG."""

from __future__ import annotations

import io

from PIL import Image

from alpr_common import CheckedImage, check_image, to_rgb

from ..settings import Settings


def checked_upload(data: bytes, field: str, settings: Settings) -> CheckedImage:
    """An uploaded image (a frame, an edge read's crop, a crop recognition sends) within the
    service's size and pixel limits, or the 422 problem naming ``field``."""
    return check_image(data, field=field, max_bytes=settings.max_image_bytes, max_pixels=settings.max_pixels)


def crop_jpeg(data: bytes, box: tuple[int, int, int, int]) -> bytes:
    """The region ``(x, y, w, h)`` of an image, as JPEG (clipped to the image)."""
    x, y, w, h = box
    with Image.open(io.BytesIO(data)) as img:
        region = to_rgb(img).crop((x, y, min(x + w, img.width), min(y + h, img.height)))
        out = io.BytesIO()
        region.save(out, format="JPEG", quality=90)
        return out.getvalue()


def to_jpeg(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        if img.format == "JPEG":
            return data
        out = io.BytesIO()
        to_rgb(img).save(out, format="JPEG", quality=90)
        return out.getvalue()
