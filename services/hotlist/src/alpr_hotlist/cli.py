"""``alpr hotlist``: syncing sources (the Helm CronJob runs ``alpr hotlist sync``) and the
alert retention purge."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import httpx
import typer

from alpr_common import AgencyPolicyClient, OutboundClient, ServiceClients, make_engine, make_sessionmaker

from .alerts.retention import AlertPurge, purge_alerts
from .clock import now
from .settings import Settings
from .sources.schemas import SyncPublic
from .sources.sync import SyncDeps, sync_all, system_actor

app = typer.Typer(help="Hotlists: syncing their sources.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Hotlists: syncing their sources."""


@app.command()
def sync(
    source: Annotated[str | None, typer.Option("--source", help="Only this source's id.")] = None,
) -> None:
    """Sync every enabled source now (or one): fetch, check, and replace its entries atomically
    (R10). Exit 1 when a sync failed (that list is unchanged and goes stale after 24 hours)."""
    only = None
    if source is not None:
        try:
            only = uuid.UUID(source)
        except ValueError:
            raise typer.BadParameter("not a source id", param_hint="--source") from None
    settings = Settings()

    async def run() -> list[SyncPublic]:
        engine = make_engine(settings.database_url, application_name="alpr-hotlist-sync")
        try:
            async with (
                httpx.AsyncClient(timeout=60) as http,
                OutboundClient(settings.outbound_policy, timeout=settings.feed_timeout_seconds) as outbound,
            ):
                deps = SyncDeps(
                    settings=settings,
                    sessions=make_sessionmaker(engine),
                    clients=ServiceClients.build(settings, http),
                    outbound=outbound,
                )
                return await sync_all(deps, only)
        finally:
            await engine.dispose()

    try:
        results = asyncio.run(run())
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    for r in results:
        if r.status == "ok":
            typer.echo(f"{r.source_id}: ok, {r.loaded} loaded, {r.rejected} bad rows, {r.removed} replaced")
            for e in r.errors[:20]:
                typer.echo(f"  line {e.line}: {e.error}")
        else:
            typer.echo(f"{r.source_id}: FAILED, nothing changed: {r.error}", err=True)
    if not results:
        typer.echo("no enabled sources")
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


@app.command("purge-alerts")
def purge_alerts_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would go; delete nothing.")] = False,
) -> None:
    """Remove closed alerts and confirmed hits past each agency's own periods (R14, issue 17: its
    policy's `alert_days` and `hit_days`, read from sharing; HOTLIST_ALERT_RETENTION_DAYS for an
    agency without a policy, 0 keeping them indefinitely). Open alerts are never removed; the
    counts go on the ledger."""
    settings = Settings()

    async def run() -> AlertPurge:
        engine = make_engine(settings.database_url, application_name="alpr-hotlist-purge")
        try:
            async with httpx.AsyncClient(timeout=60) as http, engine.begin() as conn:
                clients = ServiceClients.build(settings, http)
                policies = AgencyPolicyClient(clients.sharing)
                actor = system_actor(settings, "")
                return await purge_alerts(
                    conn,
                    clients.audit,
                    policies,
                    actor,
                    settings.alert_retention_days,
                    now(),
                    dry_run=dry_run,
                )
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb} {report.alerts} closed alerts and {report.hits} confirmed hits")
    for agency, one in sorted(report.by_agency.items()):
        rule = one.retention
        alerts = "kept indefinitely" if rule.alert_days is None else f"{one.alerts} ({rule.alert_days} days)"
        hits = "kept indefinitely" if rule.hit_days is None else f"{one.hits} ({rule.hit_days} days)"
        typer.echo(f"  {agency}: alerts {alerts}; hits {hits} ({rule.source}, policy v{rule.policy_version})")
