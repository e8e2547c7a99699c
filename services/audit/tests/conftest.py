"""Fixtures of the audit service's tests: each test gets its own migrated database, so a
tampered or pruned ledger never leaks into another test."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from alpr_audit.app import create_app
from alpr_audit.checkpoints.signing import generate_key, private_key_b64, public_key_b64
from alpr_audit.settings import Settings
from alpr_devstack.testing import Infra, serve

sys.path.insert(0, str(Path(__file__).parent))

from audit_support import EventFactory, Ledger  # noqa: E402

SIGNING_KEY = generate_key()
PUBLIC_KEY = public_key_b64(SIGNING_KEY)


@pytest.fixture
def public_key() -> str:
    """The published key that verifies this test run's checkpoints."""
    return PUBLIC_KEY


@pytest.fixture
def signing_key_b64() -> str:
    return private_key_b64(SIGNING_KEY)


@pytest.fixture
def audit_db(infra: Infra) -> str:
    return infra.migrated_database("alpr_audit", prefix="audit")


@pytest.fixture
def audit_settings(infra: Infra, audit_db: str) -> Settings:
    settings = infra.settings(
        "audit",
        database_url=audit_db,
        signing_key=private_key_b64(SIGNING_KEY),
        checkpoint_poll_seconds=3600,
    )
    assert isinstance(settings, Settings)
    return settings


@pytest.fixture
async def audit(audit_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(audit_settings)) as client:
        yield client


@pytest.fixture
def service_headers(infra: Infra) -> dict[str, str]:
    return {"Authorization": f"Bearer {infra.mint(sub='svc-search', name='search', roles=['service'])}"}


@pytest.fixture
def auditor_headers(infra: Infra) -> dict[str, str]:
    return {"Authorization": f"Bearer {infra.mint(sub='aud-1', name='Ann Auditor', roles=['auditor'])}"}


def make_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "action": "search.executed",
        "actor": {
            "sub": "inv-7",
            "name": "Ivan Investigator",
            "agency": "CA0019400",
            "roles": ["investigator"],
            "client_id": None,
        },
        "purpose": "stolen_vehicle",
        "case_number": "2026-001234",
        "outcome": "allowed",
        "data": {"plate": "7ABC123"},
        "targets": [],
        "source": "search",
    }
    event.update(overrides)
    return event


@pytest.fixture
def event() -> EventFactory:
    return make_event


@pytest.fixture
def ledger(
    audit: httpx.AsyncClient,
    audit_db: str,
    service_headers: dict[str, str],
    auditor_headers: dict[str, str],
    event: EventFactory,
) -> Ledger:
    """The fixtures most tests here take together: the service, its database, both callers and
    the event factory."""
    return Ledger(audit, audit_db, service_headers, auditor_headers, event)
