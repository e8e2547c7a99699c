"""The ``alpr`` command. Each installed package adds its command group through the
``alpr.cli`` entry-point group (``dev`` from alpr-devstack, ``audit`` from alpr-audit, ...),
so a production image carries only the groups of the packages it installs."""

from __future__ import annotations

from importlib.metadata import entry_points

import typer


def build() -> typer.Typer:
    root = typer.Typer(help="ALPR platform command line.", no_args_is_help=True, add_completion=False)
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
