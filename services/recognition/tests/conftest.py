"""Fixtures of the recognition tests: the shipped model (loaded once), the API with its worker
off, and for the worker's tests real ingest and audit services over HTTP with stub consumers."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from alpr_devstack.testing import Infra, serve  # noqa: E402
from alpr_recognition.app import create_app  # noqa: E402
from alpr_recognition.pipeline import Recognizer  # noqa: E402
from alpr_recognition.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def recognizer() -> Recognizer:
    import torch

    # One thread per test process when several share the machine (make test: three on two cores).
    torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else 2)
    return Recognizer(device="cpu")


@pytest.fixture
async def api(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    """The recognition API (worker off; images over 2 MB or 4 MP refused), once its model is ready."""
    settings = infra.settings(
        "recognition", worker_enabled=False, max_image_bytes=2_000_000, max_pixels=4_000_000
    )
    assert isinstance(settings, Settings)
    async with serve(create_app(settings)) as client:
        for _ in range(300):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        yield client
