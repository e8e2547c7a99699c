"""The audit service's own start-up rules (issue 19): production needs ``AUDIT_SIGNING_KEY`` and
an explicit ``AUDIT_PUBLIC_AGENCY`` (libs/common/tests/test_production_mode.py runs them with
the shared ones); a key that does not load is named in any mode; development without a key
keeps its warning and a random key per process."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from alpr_audit.app import create_app
from alpr_audit.checkpoints.signing import generate_key, private_key_b64
from alpr_audit.settings import DEMO_AGENCY, Settings
from alpr_common._settings import SettingsError
from alpr_devstack.testing import Infra, serve

PRODUCTION: dict[str, Any] = {
    "alpr_env": "production",
    "database_url": "postgresql://alpr@db.agency.example/alpr",
    "oidc_issuer": "https://sso.agency.example/realms/alpr",
    "client_id": "svc-audit",
    "client_secret": "client-secret-value",
}


@pytest.mark.parametrize("env", ["development", "production"])
def test_a_signing_key_that_does_not_load_is_named(env: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings(**{**PRODUCTION, "alpr_env": env}, signing_key="bm90IGEga2V5", public_agency="CA0010900")
    assert str(refused.value) == (
        "alpr_audit: AUDIT_SIGNING_KEY: the checkpoint signing key must be 32 raw bytes, base64-encoded"
    )


def test_production_needs_the_key_and_the_agency_named() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings(**PRODUCTION, signing_key="")  # empty is unset
    assert "AUDIT_SIGNING_KEY is not set" in str(refused.value)
    assert f"AUDIT_PUBLIC_AGENCY is not set (the default {DEMO_AGENCY} is the demo agency)" in str(
        refused.value
    )
    key = private_key_b64(generate_key())
    with pytest.raises(SettingsError, match="AUDIT_PUBLIC_AGENCY is not set") as refused:
        Settings(**PRODUCTION, signing_key=key)
    assert "AUDIT_SIGNING_KEY" not in str(refused.value)
    settings = Settings(**PRODUCTION, signing_key=key, public_agency="CA0010900")
    assert settings.public_agency == "CA0010900"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.msg
        self.events.append(str(msg.get("event")) if isinstance(msg, dict) else record.getMessage())


async def test_development_without_a_key_warns_and_signs_with_a_random_one(
    infra: Infra, audit_db: str
) -> None:
    settings = infra.settings("audit", database_url=audit_db, signing_key="", checkpoint_poll_seconds=3600)
    assert isinstance(settings, Settings)
    assert settings.alpr_env == "development"
    assert settings.signing_key is None
    auditor = {"Authorization": f"Bearer {infra.mint(sub='aud-1', name='Ann Auditor', roles=['auditor'])}"}
    public_keys = []
    for _ in range(2):
        app = create_app(settings)
        records = _Records()
        logger = logging.getLogger("alpr.audit")
        logger.addHandler(records)
        try:
            async with serve(app) as client:
                resp = await client.get("/v1/checkpoints", headers=auditor)
                assert resp.status_code == 200, resp.text
                public_keys.append(resp.json()["public_key"])
        finally:
            logger.removeHandler(records)
        assert "ephemeral_signing_key" in records.events
    assert public_keys[0] != public_keys[1]  # a new key per process: why production refuses it
