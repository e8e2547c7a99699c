"""``alpr db``: database migrations of the installed services (the Helm hook Job runs
``alpr db upgrade``; ``make run`` does the same through ``alpr dev up``)."""

from __future__ import annotations

from typing import Annotated

import typer

from ._settings import database_url_from_env
from .migrations import service_packages, upgrade

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", help="Only this service (repeatable); default: all installed."),
    ] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Migrate each installed service's schema (DATABASE_URL) to ``revision``."""
    url = database_url_from_env()
    packages = service_packages()
    if service:
        wanted = {f"alpr_{s}" for s in service}
        unknown = wanted - set(packages)
        if unknown:
            typer.echo(f"not installed or without migrations: {', '.join(sorted(unknown))}", err=True)
            raise typer.Exit(2)
        packages = [p for p in packages if p in wanted]
    for package in packages:
        upgrade(package, url, revision)
        typer.echo(f"{package}: at {revision}")
