"""Image work of ingest: uploads checked against the service's limits (by
``alpr_common.check_image``, shared with recognition), crops cut from frames and frames
re-encoded as JPEG."""

from __future__ import annotations

import io

from alpr_common import CheckedImage, check_image, decode_rgb

from ..settings import Settings


def checked_upload(data: bytes, field: str, settings: Settings) -> CheckedImage:
    """An uploaded image (a frame, an edge read's crop, a crop recognition sends) within the
    service's size and pixel limits, or the 422 problem naming ``field``."""
    return check_image(data, field=field, max_bytes=settings.max_image_bytes, max_pixels=settings.max_pixels)


def crop_jpeg(data: bytes, box: tuple[int, int, int, int]) -> bytes:
    """The region ``(x, y, w, h)`` of an image, as JPEG (clipped to the image)."""
    x, y, w, h = box
    picture = decode_rgb(data)  # as shown: upright, 8-bit (the box was found on that)
    region = picture.crop((x, y, min(x + w, picture.width), min(y + h, picture.height)))
    out = io.BytesIO()
    region.save(out, format="JPEG", quality=90)
    return out.getvalue()


def to_jpeg(data: bytes) -> bytes:
    """A checked image (JPEG or PNG) as JPEG: a JPEG as sent, a PNG as the picture it shows."""
    if data[:3] == b"\xff\xd8\xff":
        return data
    out = io.BytesIO()
    decode_rgb(data).save(out, format="JPEG", quality=90)
    return out.getvalue()
