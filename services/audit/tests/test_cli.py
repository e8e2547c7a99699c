"""`alpr audit verify | checkpoint | export | verify-export | prune` against a real database:
an export verifies offline with the published key, and any edit to it is found."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from audit_support import Ledger

from alpr_audit.ledger.writer import append_now
from alpr_audit.settings import Settings
from alpr_common import AuditEventIn, Principal, make_engine
from alpr_devstack.alpr_command import run_alpr

_KEY: list[str] = []


@pytest.fixture(autouse=True)
def _cli_key(signing_key_b64: str) -> None:
    _KEY[:] = [signing_key_b64]


def _alpr(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db, "AUDIT_SIGNING_KEY": _KEY[0]}
    return run_alpr("audit", *args, env=env)


async def test_verify_checkpoint_export_and_offline_verification(
    ledger: Ledger, tmp_path: Path, public_key: str
) -> None:
    await ledger.fill(30)
    ok = _alpr(ledger.db, "verify")
    assert ok.returncode == 0, ok.stderr
    assert "30 events verified" in ok.stdout
    made = _alpr(ledger.db, "checkpoint")
    assert made.returncode == 0, made.stderr
    assert "sequence 30" in made.stdout
    await ledger.fill(5)

    out = tmp_path / "ledger.jsonl"
    exported = _alpr(ledger.db, "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["format"] == "alpr-audit-export/v1"
    assert sum(1 for rec in lines if rec.get("type") == "event") == 35
    assert _alpr(ledger.db, "verify-export", str(out), "--public-key", public_key).returncode == 0

    # One character of one exported event changed: the offline check names its sequence.
    tampered = tmp_path / "tampered.jsonl"
    recs = [dict(r) for r in lines]
    for rec in recs:
        if rec.get("sequence") == 17 and rec.get("type") == "event":
            rec["canonical"] = rec["canonical"].replace("2026-000016", "2026-000061")
    tampered.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    broken = _alpr(ledger.db, "verify-export", str(tampered), "--public-key", public_key)
    assert broken.returncode == 1
    assert "sequence 17" in broken.stderr

    # A checkpoint re-signed by someone else's key does not count.
    assert (
        _alpr(ledger.db, "verify-export", str(out), "--public-key", "AAAA" + public_key[4:]).returncode == 1
    )

    # A file that is not an export of the right shape: one line naming where, exit 1, no traceback.
    text = out.read_text().splitlines()
    event_at = next(i for i, r in enumerate(lines) if r.get("type") == "event")
    bad_event = json.dumps({**lines[event_at], "sequence": "seventeen"})
    bad_header = json.dumps({**lines[0], "public_keys": 5})
    malformed = {
        "an event whose sequence is text": (
            [*text[:event_at], bad_event, *text[event_at + 1 :]],
            f":{event_at + 1}: not a valid event record (sequence: ",
        ),
        "a line that is a list": ([text[0], "[1, 2]", *text[1:]], ":2: not a JSON object"),
        "a header whose keys are not a list": ([bad_header, *text[1:]], ":1: the header is not an"),
    }
    for case, (content, message) in malformed.items():
        bad = tmp_path / "malformed.jsonl"
        bad.write_text("\n".join(content) + "\n")
        refused = _alpr(ledger.db, "verify-export", str(bad), "--public-key", public_key)
        assert refused.returncode == 1, (case, refused.stderr)
        assert message in refused.stderr, (case, refused.stderr)
        assert "Traceback" not in refused.stderr, case
    bad.write_bytes(b"\xff\xfe" + out.read_bytes())
    assert "not UTF-8 text" in _alpr(ledger.db, "verify-export", str(bad)).stderr
    missing = _alpr(ledger.db, "verify-export", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_export_refuses_a_path_it_cannot_write_before_reading_the_ledger(tmp_path: Path) -> None:
    """A folder, or a path under a file: a usage error naming `--out`, exit 2, before the
    database is asked (this one does not answer) and with no partial file left."""
    (tmp_path / "notes.txt").write_text("kept\n")
    for out, why in (
        (tmp_path, "is a folder, not a file"),
        (tmp_path / "notes.txt" / "ledger.jsonl", f"{tmp_path / 'notes.txt'} is not a folder"),
    ):
        env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "COLUMNS": "400"}
        refused = run_alpr("audit", "export", "--out", str(out), env=env)
        assert refused.returncode == 2, refused.stderr
        assert "Invalid value for '--out'" in refused.stderr
        assert why in refused.stderr
        assert "database" not in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


async def test_verify_exits_1_with_the_broken_sequence(ledger: Ledger) -> None:
    await ledger.fill(8)
    await ledger.tamper(
        "UPDATE audit.ledger SET canonical = replace(canonical, 'inv-7', 'inv-8') WHERE sequence = 6",
    )
    result = _alpr(ledger.db, "verify")
    assert result.returncode == 1
    assert "sequence 6" in result.stderr


async def test_prune_removes_only_records_past_two_years_and_the_rest_verifies_R20(
    audit_settings: Settings, ledger: Ledger
) -> None:
    """R20: audit trails are kept at least two years; pruning leaves a verifiable chain."""
    engine = make_engine(ledger.db, application_name="test", role="alpr_audit_writer")
    svc = Principal(
        sub="svc-search", name="search", agency="", roles=frozenset({"service"}), client_id="svc-search"
    )
    old = [AuditEventIn.model_validate(ledger.event(case_number=f"2023-{i:06d}")) for i in range(6)]
    try:
        await append_now(engine, [(old, svc)], recorded_at=datetime.now(UTC) - timedelta(days=800))
        # Two more events (new ids: the same ids again would be one row each, issue 16).
        younger = [e.model_copy(update={"event_id": uuid.uuid4()}) for e in old[:2]]
        await append_now(engine, [(younger, svc)], recorded_at=datetime.now(UTC) - timedelta(days=700))
    finally:
        await engine.dispose()
    await ledger.fill(4)

    dry = _alpr(ledger.db, "prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove 6 events" in dry.stdout
    done = _alpr(ledger.db, "prune")
    assert done.returncode == 0, done.stderr
    assert "removed 6 events" in done.stdout
    assert "removed 0 events" in _alpr(ledger.db, "prune").stdout  # the 700-day-old ones stay

    resp = await ledger.client.get("/v1/ledger/verify", headers=ledger.auditor)
    assert resp.json() == {"ok": True, "checked": 6, "first_broken_sequence": None}
    assert _alpr(ledger.db, "verify").returncode == 0

    conn = await asyncpg.connect(ledger.db)
    try:
        # Nobody can prune younger records, not even through the pruning function itself.
        with pytest.raises(asyncpg.PostgresError, match="checkpoint|two years"):
            await conn.execute("SELECT audit.prune_ledger(8)")
        assert await conn.fetchval("SELECT min(sequence) FROM audit.ledger") == 7
    finally:
        await conn.close()
