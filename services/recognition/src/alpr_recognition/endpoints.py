"""``POST /v1/recognize``: images in, plate reads out (for tests, edge units and tools)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, File, Request, UploadFile
from PIL import Image

from alpr_common import ProblemFieldError, Unavailable, ValidationProblem, check_image, decode_rgb, machine

from .engine import Engine
from .roles import Caller
from .schemas import ImageReads, PlateRead, RecognizeResult
from .settings import Settings

router = APIRouter(tags=["recognition"])


def _decode(data: bytes, field: str, settings: Settings) -> Image.Image:
    checked = check_image(
        data, field=field, max_bytes=settings.max_image_bytes, max_pixels=settings.max_pixels
    )
    return decode_rgb(checked.data)


@router.post("/v1/recognize", response_model_exclude_none=True, **machine(refuses=(Unavailable,)))
async def recognize(
    request: Request,
    principal: Caller,
    image: Annotated[list[UploadFile], File(description="JPEG or PNG; repeat the part for several images.")],
) -> RecognizeResult:
    """Reads every plate in each image: plate, confidence, region, box and candidates."""
    settings: Settings = request.app.state.settings
    engine: Engine = request.app.state.engine
    if len(image) > settings.max_images:
        raise ValidationProblem(
            f"At most {settings.max_images} images per request.",
            errors=[ProblemFieldError(loc=["body", "image"], msg=f"at most {settings.max_images} images")],
        )
    decoded = []
    for index, upload in enumerate(image):
        data = await upload.read(settings.max_image_bytes + 1)
        field = "image" if len(image) == 1 else f"image.{index}"
        decoded.append(await anyio.to_thread.run_sync(_decode, data, field, settings))
    results = await engine.recognize(decoded, source="api")
    out = [ImageReads(reads=[PlateRead.of(r) for r in reads]) for reads in results]
    return RecognizeResult(
        results=out, reads=out[0].reads if len(out) == 1 else None, model_version=engine.model_version
    )
