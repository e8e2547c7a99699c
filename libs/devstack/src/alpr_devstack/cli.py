"""``alpr dev``: run the whole platform locally (``up``, ``down``, ``status``), mint
development tokens (``token``) and write the merged OpenAPI document (``openapi``)."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from .components import StackError
from .stack import DEMO_AGENCY, DEMO_PASSWORD, Stack, StackConfig

app = typer.Typer(help="The local development stack (no outside services needed).", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the stack keeps its data (default .alpr, or ALPR_DEV_DIR)."),
]


def _stack(data_dir: Path | None) -> Stack:
    return Stack(StackConfig.from_env(data_dir), say=lambda msg: typer.echo(msg, err=True))


def _summary(stack: Stack, state: dict[str, Any]) -> None:
    cfg = stack.config
    comps = state["components"]
    typer.echo("")
    typer.echo(f"ALPR platform is up in {state.get('ready_in_s')} s (data in {cfg.data_dir})")
    if "gateway" in comps:
        base = comps["gateway"]["url"]
        typer.echo(f"One origin: {base}")
        typer.echo(f"  /api/<service>/...  ({', '.join(cfg.services)}); OpenAPI: {base}/api/openapi.json")
        typer.echo("Each service directly:")
    for name in cfg.services:
        url = cfg.service_url(name)
        typer.echo(f"  {name:<12} {url}   OpenAPI: {url}/docs  ({url}/openapi.json)")
    env = state.get("env", {})
    typer.echo(f"  {'issuer':<12} {env.get('OIDC_ISSUER')}")
    typer.echo(f"  {'s3':<12} {env.get('S3_ENDPOINT')}  bucket {env.get('S3_BUCKET')}")
    pg = comps.get("postgres")
    typer.echo(f"  {'postgres':<12} {'127.0.0.1:' + str(pg['port']) if pg else 'DATABASE_URL'}")
    typer.echo(f"  logs         {cfg.data_dir / 'logs'}")
    typer.echo(
        f"Demo agency {DEMO_AGENCY}: users demo-<role> (password '{DEMO_PASSWORD}'), "
        "camera client cam-demo-1, partner client partner-demo (secrets in secrets.json)."
    )
    typer.echo(
        "A token: alpr dev token --sub me --name 'Me' --agency CA0019400 --roles investigator "
        "--training-expires 2027-12-31"
    )


@app.command()
def up(
    detach: Annotated[
        bool, typer.Option("--detach", help="Return once all six services answer /healthz.")
    ] = False,
    data_dir: DataDir = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the services.")] = 120.0,
) -> None:
    """Start PostgreSQL, the S3 store, the development issuer, migrations and the six services."""
    stack = _stack(data_dir)
    try:
        state = stack.up(timeout_s=timeout)
    except StackError as exc:
        typer.echo(f"alpr dev up failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        typer.echo("interrupted; everything started was stopped", err=True)
        raise typer.Exit(130) from None
    _summary(stack, state)
    if detach:
        typer.echo("Running in the background; `alpr dev down` stops it.")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo("Press Ctrl-C to stop.")
    while not stop.wait(2.0):
        dead = [r["name"] for r in stack.status() if not r["running"]]
        if dead:
            typer.echo(f"stopped unexpectedly: {', '.join(dead)}; shutting down", err=True)
            stack.down()
            raise typer.Exit(1)
    stack.down()


@app.command()
def openapi(
    out: Annotated[Path, typer.Option("--out", help="Where to write the merged document (JSON).")] = Path(
        "build/openapi.json"
    ),
) -> None:
    """Write the platform's merged OpenAPI 3.1 document (each service under /api/<service>)."""
    from alpr_common.cli_files import output_file

    from .openapi import MergeError, build

    try:
        merged = build(output_file(out))
    except MergeError as exc:
        typer.echo(f"the services' documents do not merge: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{out}: OpenAPI {merged['openapi']}, {len(merged['paths'])} paths")


@app.command()
def down(data_dir: DataDir = None) -> None:
    """Stop every process `alpr dev up` started (by pid)."""
    _stack(data_dir).down()


@app.command()
def status(data_dir: DataDir = None) -> None:
    """Show each component of the local stack: pid, port, running, health."""
    rows = _stack(data_dir).status()
    if not rows:
        typer.echo("not running")
        raise typer.Exit(1)
    for row in rows:
        health = row["health"] if row["health"] is not None else "-"
        typer.echo(
            f"{row['name']:<12} pid {row['pid']!s:<8} port {row['port']!s:<6} "
            f"{'running' if row['running'] else 'stopped':<8} health {health}"
        )
    if not all(r["running"] for r in rows):
        raise typer.Exit(1)


def _parse_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD") from None


@app.command()
def token(
    sub: Annotated[str, typer.Option("--sub", help="Subject (user or client id).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    agency: Annotated[str, typer.Option("--agency", help="Agency ORI, e.g. CA0019400.")],
    roles: Annotated[
        str, typer.Option("--roles", help="Comma-separated roles, e.g. investigator,analyst.")
    ] = "",
    training_expires: Annotated[
        str | None, typer.Option("--training-expires", help="Training expiry date YYYY-MM-DD (R2).")
    ] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="OAuth client id claim.")] = None,
    badge: Annotated[
        str | None, typer.Option("--badge", help="Badge number claim (shown on the ledger).")
    ] = None,
    ttl: Annotated[
        int, typer.Option("--ttl", help="Lifetime in seconds (negative: already expired).")
    ] = 3600,
    data_dir: DataDir = None,
) -> None:
    """Print an access token from the development issuer (on the last line)."""
    claims = {
        "sub": sub,
        "name": name,
        "agency": agency,
        "roles": [r.strip() for r in roles.split(",") if r.strip()],
        "training_expires": _parse_date(training_expires),
        "client_id": client_id,
        "badge": badge,
        "ttl": ttl,
    }
    try:
        access = _stack(data_dir).mint_token(claims)
    except StackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"# expires {datetime.fromtimestamp(datetime.now().timestamp() + ttl):%Y-%m-%d %H:%M:%S}", err=True
    )
    typer.echo(access)
    sys.stdout.flush()
