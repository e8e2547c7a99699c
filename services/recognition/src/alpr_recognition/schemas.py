"""Request and answer models of the recognition API (CONTRACT: Recognition)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from alpr_common import Box

from .pipeline import Read


class Candidate(BaseModel):
    plate: str
    confidence: float = Field(ge=0, le=1)


class PlateRead(BaseModel):
    plate: str = Field(description="Normalised: A-Z and 0-9 only.")
    confidence: float = Field(ge=0, le=1)
    region: str = Field(description="USPS code, ISO 3166-1 alpha-3, or `unknown`.")
    region_confidence: float = Field(ge=0, le=1)
    box: Box
    candidates: list[Candidate] = Field(description="The best alternatives, most likely first (R19).")

    @classmethod
    def of(cls, read: Read) -> PlateRead:
        return cls(
            plate=read.plate,
            confidence=round(min(1.0, max(0.0, read.confidence)), 4),
            region=read.region,
            region_confidence=round(min(1.0, max(0.0, read.region_confidence)), 4),
            box=Box(x=read.box.x, y=read.box.y, w=read.box.w, h=read.box.h),
            # At most 10: the most ingest stores with a read.
            candidates=[
                Candidate(plate=p, confidence=round(min(1.0, c), 4)) for p, c in read.candidates[:10]
            ],
        )


class ImageReads(BaseModel):
    reads: list[PlateRead] = Field(
        description="The image's plates, its own first: the nearest car's (confidence weighed with size)."
    )


class RecognizeResult(BaseModel):
    results: list[ImageReads] = Field(description="One entry per image, in the order sent.")
    reads: list[PlateRead] | None = Field(
        None, description="The one image's reads (its own plate first), when exactly one was sent."
    )
    model_version: str
