"""The ledger cannot be changed without it showing (R20, R30): the application's own
connection cannot UPDATE, DELETE or TRUNCATE it, a superuser's edit is found at its exact
sequence, and concurrent writers never fork or gap the chain."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from audit_support import Ledger, superuser
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from alpr_audit.app import create_app
from alpr_audit.settings import Settings
from alpr_common import make_engine
from alpr_devstack.testing import serve


def _broken(checked: int, at: int) -> dict[str, Any]:
    """What verification answers when the chain holds for ``checked`` events and breaks at ``at``."""
    return {"ok": False, "checked": checked, "first_broken_sequence": at}


class TestImmutability:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit.ledger SET canonical = canonical WHERE sequence = 1",
            "DELETE FROM audit.ledger WHERE sequence = 1",
            "TRUNCATE audit.ledger",
            "UPDATE audit.checkpoints SET hash = hash",
            "DELETE FROM audit.ledger_base",
        ],
    )
    async def test_app_connection_cannot_change_the_ledger_R30(
        self, statement: str, ledger: Ledger, audit_settings: Settings
    ) -> None:
        """R30: the service's own database role may only INSERT and SELECT."""
        await ledger.fill(3)
        engine = make_engine(audit_settings.database_url, application_name="test", role="alpr_audit_writer")
        try:
            async with engine.connect() as conn:
                with pytest.raises(DBAPIError):
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    async def test_even_a_superuser_is_stopped_by_the_triggers(self, ledger: Ledger) -> None:
        await ledger.fill(2)
        conn = await superuser(ledger.db)
        try:
            for statement in (
                "UPDATE audit.ledger SET prev_hash = prev_hash",
                "DELETE FROM audit.ledger",
                "TRUNCATE audit.ledger",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                    await conn.execute(statement)
            assert await conn.fetchval("SELECT count(*) FROM audit.ledger") == 2
        finally:
            await conn.close()


class TestVerification:
    async def test_untouched_ledger_verifies(self, ledger: Ledger) -> None:
        await ledger.fill(25)
        assert await ledger.verify() == {
            "ok": True,
            "checked": 25,
            "first_broken_sequence": None,
        }
        assert await ledger.verify(**{"from": 10, "to": 20}) == {
            "ok": True,
            "checked": 11,
            "first_broken_sequence": None,
        }

    async def test_superuser_edit_is_found_at_its_sequence(self, ledger: Ledger) -> None:
        """Triggers disabled, one event's text changed: verify names exactly that sequence."""
        await ledger.fill(20)
        await ledger.tamper(
            "UPDATE audit.ledger SET canonical = replace(canonical, '2026-000012', '2026-999999') "
            "WHERE sequence = 13",
        )
        assert await ledger.verify() == _broken(12, at=13)
        assert (await ledger.verify(**{"from": 1, "to": 12}))["ok"] is True

    async def test_an_event_id_column_that_disagrees_with_the_text_is_found(self, ledger: Ledger) -> None:
        """Issue 16: the column that makes appends exactly-once is checked against the hashed
        text, so it cannot be changed to let a repeat in (or to hide one) unseen."""
        await ledger.fill(10)
        await ledger.tamper("UPDATE audit.ledger SET event_id = gen_random_uuid() WHERE sequence = 7")
        assert await ledger.verify() == _broken(6, at=7)

    async def test_rewritten_tail_is_caught_by_a_signed_checkpoint(self, ledger: Ledger) -> None:
        """Deleting the newest events (no hash breaks) still shows: a checkpoint names them."""
        await ledger.fill(10)
        made = await ledger.client.post("/v1/checkpoints", headers=ledger.auditor)
        assert made.status_code == 201
        assert made.json()["sequence"] == 10
        await ledger.tamper("DELETE FROM audit.ledger WHERE sequence > 7")
        assert await ledger.verify() == _broken(7, at=8)

    async def test_forged_checkpoint_signature_is_caught(self, ledger: Ledger) -> None:
        await ledger.fill(5)
        assert (await ledger.client.post("/v1/checkpoints", headers=ledger.service)).status_code == 201
        await ledger.tamper("UPDATE audit.checkpoints SET created_at = created_at + interval '1 second'")
        assert (await ledger.verify())["first_broken_sequence"] == 5


async def test_concurrent_writers_make_one_gapless_chain(audit_settings: Settings, ledger: Ledger) -> None:
    """8 writers x 500 events through two service instances (two processes' worth of writers):
    no gaps, no forks, each writer's events in its own order, and the chain verifies."""
    writers, per_writer, per_request = 8, 500, 25
    async with serve(create_app(audit_settings)) as one, serve(create_app(audit_settings)) as two:

        async def writer(index: int, client: httpx.AsyncClient) -> list[int]:
            sequences: list[int] = []
            for start in range(0, per_writer, per_request):
                batch = [ledger.event(case_number=f"{index:02d}-{start + i:06d}") for i in range(per_request)]
                resp = await client.post("/v1/events", json={"events": batch}, headers=ledger.service)
                assert resp.status_code == 201, resp.text
                sequences += [r["sequence"] for r in resp.json()["items"]]
            return sequences

        results = await asyncio.gather(*(writer(i, one if i % 2 else two) for i in range(writers)))
        every = sorted(s for seqs in results for s in seqs)
        assert every == list(range(1, writers * per_writer + 1))
        for seqs in results:
            assert seqs == sorted(seqs)
        resp = await one.get("/v1/ledger/verify", headers=ledger.auditor)
        assert resp.json() == {"ok": True, "checked": writers * per_writer, "first_broken_sequence": None}
