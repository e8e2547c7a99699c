"""The ``alpr`` command. Each installed package adds its command group through the
``alpr.cli`` entry-point group (``dev`` from alpr-devstack, ``audit`` from alpr-audit, ...),
so a production image carries only the groups of the packages it installs."""

from __future__ import annotations

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


def build() -> typer.Typer:
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
        group = ep.load()
        if isinstance(group, typer.Typer):
            root.add_typer(group, name=ep.name)
    return root


def main() -> None:
    try:
        build()()
    except Exception as exc:
        # Settings a command cannot run with (alpr_common's SettingsError, e.g. ALPR_ENV=production
        # without a secret it needs): its one-line message naming the setting, not a traceback.
        if not getattr(exc, "refuses_start", False):
            raise
        typer.echo(str(exc), err=True)
        raise SystemExit(2) from None
