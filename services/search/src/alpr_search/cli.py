"""``alpr search``: the retention purge (the Helm CronJob runs ``alpr search purge``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import httpx
import typer

from alpr_common import AgencyPolicyClient, Principal, ServiceClients, make_engine, make_object_store

from .holds.verify import verify_package
from .retention.service import EvidenceBucket, PurgeReport
from .retention.service import purge as purge_expired
from .settings import Settings

app = typer.Typer(help="The detection store: retention purge.", no_args_is_help=True)


@app.command("verify-export")
def verify_export(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An evidence package (.zip).")],
) -> None:
    """Check an evidence package: every file against the SHA-256 in its manifest; exit 1 if any fails."""
    problems = verify_package(file)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    typer.echo(f"{file}: every file matches its manifest")


@app.command()
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would go; delete nothing.")] = False,
) -> None:
    """Purge detections past their agency's retention (default SEARCH_RETENTION_DAYS), with their
    images (via ingest), and record it (R16)."""
    settings = Settings()

    async def run() -> PurgeReport:
        engine = make_engine(settings.database_url, application_name="alpr-search-purge")
        actor_id = settings.client_id or "svc-search"
        actor = Principal(
            sub=actor_id, name="retention purge", agency="", roles=frozenset({"service"}), client_id=actor_id
        )
        try:
            async with httpx.AsyncClient(timeout=60) as http:
                clients = ServiceClients.build(settings, http)
                # Issue 17: each agency's period from its policy (sharing); the evidence packages
                # of released holds in search's own bucket.
                policies = AgencyPolicyClient(clients.sharing)
                evidence = EvidenceBucket(make_object_store(settings), settings.s3_bucket)
                async with engine.begin() as conn:
                    return await purge_expired(
                        conn,
                        clients,
                        actor,
                        settings.retention_days,
                        dry_run=dry_run,
                        policies=policies,
                        evidence=evidence,
                    )
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    verb = "would purge" if dry_run else "purged"
    typer.echo(
        f"{verb} {report.detections} detections past their agency's retention (default "
        f"{settings.retention_days} days: before {report.cutoff.isoformat()}; "
        f"{len(report.partitions)} whole day partitions)"
    )
    for agency, n in sorted(report.detections_by_agency.items()):
        typer.echo(
            f"  {agency}: {n} detections ({report.days_by_agency[agency]} days, "
            f"{report.rules[agency].source.value}, policy v{report.rules[agency].policy_version}); "
            f"images {report.images_by_agency.get(agency, '-')}"
        )
    for agency, skipped in sorted(report.skipped.items()):
        typer.echo(f"  {agency}: objects and rows kept this time: {skipped}", err=True)
