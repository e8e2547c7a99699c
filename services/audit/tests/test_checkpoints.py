"""Signed checkpoints: made on request and every N events by the service itself, served with
the public key, and verifiable by anyone holding that key (R30)."""

from __future__ import annotations

import asyncio
import base64
import random
import string
from datetime import datetime
from typing import Any

import rfc8785
from audit_support import Ledger
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alpr_audit.app import create_app
from alpr_audit.ledger.canonical import canonical_json
from alpr_audit.settings import Settings
from alpr_devstack.testing import serve


async def test_checkpoints_are_listed_with_a_key_that_verifies_them(ledger: Ledger, public_key: str) -> None:
    empty = await ledger.client.post("/v1/checkpoints", headers=ledger.service)
    assert empty.status_code == 409  # nothing to sign yet
    await ledger.client.post(
        "/v1/events", json={"events": [ledger.event() for _ in range(3)]}, headers=ledger.service
    )
    made = (await ledger.client.post("/v1/checkpoints", headers=ledger.auditor)).json()
    listed = (await ledger.client.get("/v1/checkpoints", headers=ledger.auditor)).json()
    assert listed["public_key"] == public_key
    assert listed["items"] == [made]
    # A third party's check, with nothing but the documented message and the public key.
    created = datetime.fromisoformat(made["created_at"])
    message = f"alpr-audit-checkpoint/v1\n3\n{made['hash']}\n{created.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(listed["public_key"]))
    key.verify(base64.b64decode(made["signature"]), message.encode())  # raises if forged


async def test_the_service_checkpoints_every_n_events(audit_settings: Settings, ledger: Ledger) -> None:
    settings = audit_settings.model_copy(
        update={"checkpoint_every_events": 5, "checkpoint_poll_seconds": 0.1}
    )
    async with serve(create_app(settings)) as audit:
        await audit.post(
            "/v1/events", json={"events": [ledger.event() for _ in range(7)]}, headers=ledger.service
        )
        for _ in range(50):
            items = (await audit.get("/v1/checkpoints", headers=ledger.auditor)).json()["items"]
            if items:
                break
            await asyncio.sleep(0.1)
        # Each look at the checkpoints is itself an event, so the head may have moved past 7.
        assert len(items) == 1
        assert items[0]["sequence"] >= 7


def test_canonical_fast_path_matches_rfc8785() -> None:
    """The orjson fast path writes byte-for-byte what the reference RFC 8785 encoder writes."""
    rng = random.Random(7)
    alphabet = string.printable + '\x00\x01\x1f\x7f\u2028\u00e9\u4e2d\U0001f600"\\/'

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))

    for _ in range(3000):
        doc: dict[str, Any] = {
            "b": [text(), None, True, False, rng.randint(-(2**53), 2**53)],
            "a": {"z": text(), "y": {"x": [text()]}},
            text().encode("ascii", "ignore").decode() or "k": text(),
        }
        assert canonical_json(doc).encode() == rfc8785.dumps(doc)
    for awkward in ({"f": 1.0}, {"f": 1e21}, {"é": 1}, {"f": -0.0}):
        assert canonical_json(awkward).encode() == rfc8785.dumps(awkward)
