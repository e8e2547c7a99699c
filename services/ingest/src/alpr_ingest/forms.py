"""Form fields every camera upload declares (frames and edge reads), and the roles that call
ingest, declared once."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Form
from pydantic import AwareDatetime

from alpr_common import Principal, Role, require_roles

CameraIdField = Annotated[uuid.UUID, Form(description="The registered camera's id.")]
CapturedAtField = Annotated[AwareDatetime, Form(description="UTC capture time; up to 30 days old (R18).")]
LatitudeField = Annotated[float, Form(ge=-90, le=90)]
LongitudeField = Annotated[float, Form(ge=-180, le=180)]

Camera = Annotated[Principal, Depends(require_roles(Role.CAMERA))]
