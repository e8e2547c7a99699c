"""``alpr ingest``: the camera-health table in a terminal (issue 20), for the shift check."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from alpr_common import make_engine

from .cameras.schemas import CameraHealthList
from .cameras.service import health_table
from .settings import Settings

app = typer.Typer(help="Cameras: health for the shift check.", no_args_is_help=True)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def render(table: CameraHealthList) -> str:
    """The table as text: one camera per line, the worst first."""
    order = {"offline": 0, "quiet": 1, "degraded": 2, "ok": 3, "inactive": 4}
    lines = [
        f"{'state':<9} {'camera':<28} {'silent':>7} {'expect':>7} {'frames/h':>8} {'reads/h':>8} "
        f"{'no read':>7} {'skew':>6}  {'model':<14} last check"
    ]
    for cam in sorted(table.cameras, key=lambda c: (order[c.state.value], c.name)):
        no_read = "-" if cam.frames_without_read is None else f"{cam.frames_without_read:.0%}"
        skew = "-" if cam.clock_skew_s is None else f"{cam.clock_skew_s:.0f}s"
        check = (
            f"{cam.last_check_result.value} by {cam.last_check_by} {cam.last_check_at:%Y-%m-%d %H:%M}"
            if cam.last_check_at and cam.last_check_result
            else "-"
        )
        expect = _age(cam.expected_interval_s) + ("~" if cam.expected_interval_learned else "")
        lines.append(
            f"{cam.state.value:<9} {cam.name[:28]:<28} {_age(cam.silent_s):>7} {expect:>7} "
            f"{cam.frames_per_hour:>8.1f} {cam.reads_per_hour:>8.1f} {no_read:>7} {skew:>6}  "
            f"{(cam.model_version or '-')[:14]:<14} {check}"
        )
    counts = ", ".join(f"{n} {state.value}" for state, n in table.counts.items() if n)
    lines.append(
        f"{len(table.cameras)} cameras: {counts or 'none'} ({table.checked_at:%Y-%m-%d %H:%M:%S} UTC)"
    )
    return "\n".join(lines)


@app.command()
def cameras(
    agency: Annotated[str, typer.Option(help="The agency's ORI.")],
    as_json: Annotated[bool, typer.Option("--json", help="The table as JSON.")] = False,
) -> None:
    """Each camera of an agency with its health (`~`: interval learned); reads DATABASE_URL."""
    settings = Settings.from_env()

    async def run() -> CameraHealthList:
        engine = make_engine(settings.database_url, application_name="alpr-ingest-cameras")
        try:
            async with engine.connect() as conn:
                return await health_table(conn, agency, settings)
        finally:
            await engine.dispose()

    table = asyncio.run(run())
    typer.echo(table.model_dump_json(indent=2) if as_json else render(table))
