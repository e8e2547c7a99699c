"""Form fields every camera upload declares (frames and edge reads), where and when the camera
saw what it sends, and the roles that call ingest, declared once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Form
from pydantic import AwareDatetime

from alpr_common import Principal, Role, require_roles

CameraIdField = Annotated[uuid.UUID, Form(description="The registered camera's id.")]
CapturedAtField = Annotated[AwareDatetime, Form(description="UTC capture time; up to 30 days old (R18).")]
LatitudeField = Annotated[float, Form(ge=-90, le=90)]
LongitudeField = Annotated[float, Form(ge=-180, le=180)]


@dataclass(frozen=True)
class CameraPosition:
    """Where and when a camera captured a frame, as its upload sends it and the frame stores it
    (an edge read's overview sends no heading, speed or lane)."""

    camera_id: uuid.UUID
    captured_at: datetime
    latitude: float
    longitude: float
    heading: float | None = None
    speed_kmh: float | None = None
    lane: int | None = None


Camera = Annotated[Principal, Depends(require_roles(Role.CAMERA))]
