"""API shapes of reads."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class ReadAccepted(BaseModel):
    id: uuid.UUID
