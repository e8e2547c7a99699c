"""The search service's FastAPI app: ``uvicorn --factory alpr_search.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from alpr_common import create_service_app

from . import SERVICE
from . import __doc__ as SERVICE_DOC
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        service=SERVICE,
        settings=settings or Settings(),
        description=SERVICE_DOC or "",
        uses_database=True,
        uses_object_store=True,
    )
