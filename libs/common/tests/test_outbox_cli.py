"""``alpr outbox``: the dead letters of a service's outbox listed with why, replayed, and the
backlog shown (issue 16: "a CLI to list and replay them")."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import asyncpg

from alpr_devstack.alpr_command import run_alpr
from alpr_devstack.testing import Infra


def _alpr(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return run_alpr("outbox", *args, env=env, timeout=60)


async def test_dead_letters_are_listed_with_why_and_replayed(infra: Infra) -> None:
    url = infra.migrated_database("alpr_hotlist", prefix="outboxcli")
    dead, waiting = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO hotlist.outbox_messages (message_id, topic, payload, attempts, last_error, dead_at) "
            "VALUES ($1, 'ledger', '{}'::jsonb, 20, 'the receiver answered 422', now())",
            dead,
        )
        await conn.execute(
            "INSERT INTO hotlist.outbox_messages (message_id, topic, payload) "
            "VALUES ($1, 'ledger', '{}'::jsonb)",
            waiting,
        )
        listed = _alpr(url, "dead", "--service", "hotlist", "--json")
        assert listed.returncode == 0, listed.stderr
        [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
        assert letter["message_id"] == str(dead)
        assert letter["attempts"] == 20
        assert letter["last_error"] == "the receiver answered 422"
        status = _alpr(url, "status", "--service", "hotlist")
        assert "ledger: oldest waiting" in status.stdout
        assert "dead letters 1" in status.stdout
        assert _alpr(url, "replay", "--service", "hotlist").returncode == 2  # neither --id nor --all
        replayed = _alpr(url, "replay", "--service", "hotlist", "--id", str(dead))
        assert replayed.returncode == 0, replayed.stderr
        assert "replayed 1 dead letter(s)" in replayed.stdout
        row = await conn.fetchrow(
            "SELECT dead_at, attempts FROM hotlist.outbox_messages WHERE message_id = $1", dead
        )
        assert row is not None
        assert row["dead_at"] is None
        assert row["attempts"] == 0
        assert "no dead letters" in _alpr(url, "dead", "--service", "hotlist").stdout
        unknown = _alpr(url, "status", "--service", "nosuch")
        assert unknown.returncode == 2
        # An age past any timestamp (it was a traceback from the database, or from timedelta).
        for hours in ("1e10", "inf"):
            beyond = _alpr(url, "prune", "--service", "hotlist", "--older-than-hours", hours)
            assert beyond.returncode == 2, beyond.stderr
            assert "--older-than-hours" in beyond.stderr
        pruned = _alpr(url, "prune", "--service", "hotlist", "--older-than-hours", "878400")
        assert pruned.stdout == "removed 0 delivered message(s)\n", pruned.stderr
    finally:
        await conn.close()
