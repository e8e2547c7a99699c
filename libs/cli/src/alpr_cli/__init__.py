"""The ``alpr`` command. Each installed package adds its command group through the
``alpr.cli`` entry-point group (``dev`` from alpr-devstack, ``audit`` from alpr-audit, ...),
so a production image carries only the groups of the packages it installs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Annotated

import typer

PACKAGES = (
    "alpr-cli",
    "alpr-common",
    "alpr-ingest",
    "alpr-recognition",
    "alpr-hotlist",
    "alpr-search",
    "alpr-audit",
    "alpr-sharing",
    "alpr-devstack",
)


def versions() -> list[tuple[str, str]]:
    """The installed platform packages and their versions (a production image has some)."""
    found = []
    for package in PACKAGES:
        try:
            found.append((package, version(package)))
        except PackageNotFoundError:
            continue
    return found


def _show_version(value: bool) -> None:
    if not value:
        return
    installed = versions()
    typer.echo(f"alpr {installed[0][1] if installed else 'unknown'}")
    for package, number in installed[1:]:
        typer.echo(f"  {package} {number}")
    raise typer.Exit()


def _only_group(argv: Sequence[str]) -> str | None:
    """The command group a command line names (``alpr dev up`` names ``dev``), or None: help,
    ``--version`` or a name no package adds."""
    names = {ep.name for ep in entry_points(group="alpr.cli")}
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in names else None


def build(argv: Sequence[str] = ()) -> typer.Typer:
    """The command line with every installed package's group, or, where ``argv`` names a group,
    with that one alone: a command imports only its own package (``alpr dev token`` starts in
    about half the time of a CLI that imports all six services)."""
    only = _only_group(argv)
    root = typer.Typer(help="ALPR platform command line.", no_args_is_help=True, add_completion=False)

    @root.callback()
    def _root(
        show_version: Annotated[
            bool,
            typer.Option(
                "--version",
                callback=_show_version,
                is_eager=True,
                help="Print the version of the CLI and of each installed platform package.",
            ),
        ] = False,
    ) -> None:
        """ALPR platform command line."""

    for ep in sorted(entry_points(group="alpr.cli"), key=lambda e: e.name):
        if only is not None and ep.name != only:
            continue
        group = ep.load()
        if isinstance(group, typer.Typer):
            root.add_typer(group, name=ep.name)
    return root


def main() -> None:
    try:
        build(sys.argv[1:])()
    except Exception as exc:
        # Settings a command cannot run with (alpr_common's SettingsError, e.g. ALPR_ENV=production
        # without a secret it needs): its one-line message naming the setting, not a traceback.
        if getattr(exc, "refuses_start", False):
            typer.echo(str(exc), err=True)
            raise SystemExit(2) from None
        # A database that is down, refuses us or was never migrated: one line saying which.
        from .database_errors import database_problem

        problem = database_problem(exc)
        if problem is None:
            raise
        typer.echo(problem, err=True)
        raise SystemExit(1) from None
