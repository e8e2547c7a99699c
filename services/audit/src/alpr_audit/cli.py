"""``alpr audit``: verify the ledger, export it for anyone to verify offline, make a signed
checkpoint, prune records past retention, and create each agency's sample audit when its
policy's cadence makes one due. Works on the database directly (``DATABASE_URL``;
``AUDIT_SIGNING_KEY`` for signing; ``SHARING_URL`` and the service's client for policies)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine

from alpr_common import (
    Action,
    AgencyPolicyClient,
    Principal,
    ServiceClients,
    actor_of,
    audit_event,
    make_engine,
)
from alpr_common.cli_files import output_file

from .audits.repository import agencies_on_ledger
from .audits.schedule import Scheduled, schedule_agency
from .checkpoints import repository as checkpoints
from .checkpoints.service import make_checkpoint
from .checkpoints.signing import load_private_key, public_key_b64
from .ledger import repository
from .ledger.canonical import utc_text
from .ledger.export_file import EXPORT_FORMAT, ExportFileError, read_export
from .ledger.retention import prune as prune_ledger
from .ledger.verification import ChainChecker, VerifyResult, verify_ledger
from .ledger.writer import append_now
from .settings import Settings

app = typer.Typer(
    help="The audit ledger: verify, export, checkpoint, prune; sample audits on schedule.",
    no_args_is_help=True,
)


def _settings() -> Settings:
    return Settings()


def _signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.signing_key is not None:
        return load_private_key(settings.signing_key.get_secret_value())
    # The local stack keeps its generated key with its other secrets.
    secrets = Path(os.environ.get("ALPR_DEV_DIR", ".alpr")) / "secrets.json"
    if secrets.exists():
        value = json.loads(secrets.read_text()).get("audit_signing_key")
        if isinstance(value, str):
            return load_private_key(value)
    typer.echo("AUDIT_SIGNING_KEY is not set: nothing to sign checkpoints with.", err=True)
    raise typer.Exit(2)


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The database for one command, disposed of when the command is done with it."""
    engine = make_engine(
        settings.database_url, application_name="alpr-audit-cli", role=settings.database_role
    )
    try:
        yield engine
    finally:
        await engine.dispose()


def _trusted(settings: Settings, key: Ed25519PrivateKey | None) -> frozenset[str]:
    keys = {k.strip() for k in settings.trusted_public_keys.split(",") if k.strip()}
    if key is not None:
        keys.add(public_key_b64(key))
    return frozenset(keys)


def _report(result: VerifyResult) -> None:
    if result.ok:
        typer.echo(f"ledger intact: {result.checked} events verified")
        return
    typer.echo(
        f"ledger BROKEN at sequence {result.first_broken_sequence} "
        f"({result.checked} events verified before it)",
        err=True,
    )
    raise typer.Exit(1)


@app.command()
def verify(
    first: Annotated[int | None, typer.Option("--from", help="First sequence number.")] = None,
    last: Annotated[int | None, typer.Option("--to", help="Last sequence number.")] = None,
) -> None:
    """Recompute the chain and check the signed checkpoints; exit 0 when intact, 1 when broken."""
    settings = _settings()

    async def run() -> VerifyResult:
        async with _database(settings) as engine, engine.connect() as conn:
            return await verify_ledger(conn, _trusted(settings, _optional_key(settings)), first, last)

    _report(asyncio.run(run()))


def _optional_key(settings: Settings) -> Ed25519PrivateKey | None:
    try:
        return _signing_key(settings)
    except typer.Exit:
        return None


@app.command()
def checkpoint() -> None:
    """Sign the ledger's current head now."""
    settings = _settings()
    key = _signing_key(settings)

    async def run() -> None:
        async with _database(settings) as engine, engine.begin() as conn:
            made = await make_checkpoint(conn, key)
        if made is None:
            typer.echo("the ledger is empty: no checkpoint made")
        else:
            typer.echo(f"checkpoint at sequence {made.sequence} hash {made.hash}")

    asyncio.run(run())


@app.command()
def export(out: Annotated[Path, typer.Option("--out", help="File to write (JSON Lines).")]) -> None:
    """Write the ledger and its checkpoints to a file anyone can verify (`alpr audit verify-export`)."""
    output_file(out)
    settings = _settings()
    key = _optional_key(settings)

    async def run() -> int:
        count = 0
        tmp = out.with_suffix(out.suffix + ".part")
        async with _database(settings) as engine:
            async with engine.connect() as conn:
                lo, hi = await repository.bounds(conn)
                base = await repository.base(conn)
                with tmp.open("w") as fh:
                    header = {
                        "format": EXPORT_FORMAT,
                        "exported_at": utc_text(datetime.now(UTC)),
                        "public_keys": sorted(_trusted(settings, key)),
                        "base": {"sequence": base.sequence, "hash": base.hash},
                    }
                    fh.write(json.dumps(header) + "\n")
                    if hi:
                        async for chunk in repository.stream_chain(conn, lo, hi):
                            for sequence, canonical, prev_hash, digest in chunk:
                                fh.write(
                                    json.dumps(
                                        {
                                            "type": "event",
                                            "sequence": sequence,
                                            "canonical": canonical,
                                            "prev_hash": prev_hash,
                                            "hash": digest,
                                        }
                                    )
                                    + "\n"
                                )
                                count += 1
                    for row in await checkpoints.from_sequence(conn, 0):
                        fh.write(
                            json.dumps(
                                {
                                    "type": "checkpoint",
                                    "sequence": row.sequence,
                                    "hash": row.hash,
                                    "created_at": utc_text(row.created_at),
                                    "signature": row.signature,
                                    "public_key": row.public_key,
                                }
                            )
                            + "\n"
                        )
        tmp.replace(out)
        return count

    typer.echo(f"exported {asyncio.run(run())} events to {out}")


@app.command("verify-export")
def verify_export(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A file written by `alpr audit export`.")
    ],
    public_key: Annotated[
        list[str] | None, typer.Option("--public-key", help="Trusted checkpoint key (base64); repeatable.")
    ] = None,
) -> None:
    """Verify an exported ledger offline: the chain and every checkpoint signature."""
    try:
        export = read_export(file)
    except ExportFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    trusted = frozenset(public_key or export.public_keys)
    cps = export.checkpoints
    base, events = export.base, export.events
    first = base.sequence + 1
    checker = ChainChecker(first, base.hash, {s: c for s, c in cps.items() if s >= first}, trusted)
    if base.sequence and (
        base.sequence not in cps or not checker.checkpoint_holds(cps[base.sequence], base.hash)
    ):
        _report(VerifyResult(False, 0, first))
    checker.feed(events)
    last = events[-1][0] if events else first - 1
    _report(checker.finish(last))
    if not public_key:
        typer.echo(
            "note: checkpoint keys were taken from the file; pass --public-key to pin the published key"
        )


@app.command()
def prune(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would go.")] = False,
) -> None:
    """Remove audit records older than AUDIT_RETENTION_DAYS (at least 730), from the chain's
    beginning, leaving a signed checkpoint where the remaining chain starts (R20)."""
    settings = _settings()
    key = _signing_key(settings)

    async def run() -> None:
        async with _database(settings) as engine, engine.begin() as conn:
            result = await prune_ledger(conn, key, settings.retention_days, dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        typer.echo(
            f"{verb} {result.removed} events recorded before {utc_text(result.cutoff)}"
            + (f" (through sequence {result.through_sequence})" if result.through_sequence else "")
        )

    asyncio.run(run())


def _scheduler(settings: Settings, agency: str) -> Principal:
    """The audit service, acting for ``agency``, as the creator of its scheduled audits."""
    sub = settings.client_id or "svc-audit"
    return Principal(
        sub=sub, name="audit scheduler", agency=agency, roles=frozenset({"service"}), client_id=sub
    )


@app.command()
def schedule(
    agency: Annotated[
        list[str] | None, typer.Option("--agency", help="Only this agency (ORI); repeatable.")
    ] = None,
) -> None:
    """Create the sample audit each agency's policy makes due now (R21, R35): one per period of
    its cadence, with its sample size, due by the period's end. Agencies are those on the ledger
    and those audited before. Running it again in the same period creates nothing."""
    settings = _settings()

    async def run() -> list[Scheduled]:
        made: list[Scheduled] = []
        async with _database(settings) as engine, httpx.AsyncClient(timeout=10.0) as http:
            # Sharing owns the policies; while it cannot be reached, the last version read
            # (none in a fresh process) or the strictest defaults: quarterly, ten items.
            policies = AgencyPolicyClient(ServiceClients.build(settings, http).sharing)
            async with engine.connect() as conn:
                agencies = agency or await agencies_on_ledger(conn)
            for ori in agencies:
                policy = await policies.policy(ori)
                actor = _scheduler(settings, ori)
                async with engine.begin() as conn:
                    now = datetime.now(UTC)
                    created = await schedule_agency(
                        conn, ori, policy, now, settings.sample_months, actor_of(actor).model_dump()
                    )
                    if created is None:
                        continue
                    # On the ledger before the audit commits (fail closed: no audit unrecorded).
                    event = audit_event(
                        actor,
                        Action.AUDIT_CREATED,
                        source="audit",
                        targets=[str(created.audit_id)],
                        data={
                            "scheduled": True,
                            "cadence": str(created.cadence),
                            "period_start": utc_text(created.period.start),
                            "due_at": utc_text(created.period.end),
                            "size": created.size,
                            "drawn": created.drawn,
                            "available": created.available,
                        },
                    )
                    await append_now(engine, [([event], actor)])
                made.append(created)
        return made

    made = asyncio.run(run())
    for audit in made:
        typer.echo(
            f"{audit.agency}: audit {audit.audit_id} ({audit.cadence}, {audit.drawn} of {audit.available} "
            f"drawn) due {utc_text(audit.period.end)}"
        )
    typer.echo(f"{len(made)} audits created")
