"""``alpr outbox``: a service's outbox from the command line (issue 16): what waits, what was
dead-lettered and why, replaying dead letters, pruning delivered rows. Works on
``<service>.outbox_messages`` in ``DATABASE_URL``."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Literal, TypeVar

import typer
from sqlalchemy import MetaData, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ._database import make_engine
from ._outbox import list_dead_letters, outbox_backlog, outbox_table, prune_outbox, replay_dead_letters
from ._settings import database_url_from_env
from .migrations import service_packages

app = typer.Typer(help="Outboxes: backlog, dead letters, replay, prune.", no_args_is_help=True)
T = TypeVar("T")
MAX_AGE_HOURS = 24 * 366 * 100  # a century: older than that is older than any message (and fits a timestamp)

Service = Annotated[str, typer.Option("--service", help="The service whose outbox (ingest, hotlist, ...).")]
Topic = Annotated[str | None, typer.Option("--topic", help="Only this topic (e.g. ledger).")]


def _run(service: str, work: Callable[[AsyncEngine, Table], Awaitable[T]]) -> T:
    url = database_url_from_env()
    if f"alpr_{service}" not in service_packages():
        typer.echo(f"no installed service {service!r} has an outbox", err=True)
        raise typer.Exit(2)
    table = outbox_table(MetaData(schema=service), "outbox_messages")

    async def main() -> T:
        engine = make_engine(url, application_name=f"alpr-outbox-cli-{service}")
        try:
            return await work(engine, table)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _topics(engine: AsyncEngine, table: Table) -> list[str]:
    async with engine.connect() as conn:
        return [str(t) for t in (await conn.execute(select(table.c.topic).distinct())).scalars()]


@app.command("status")
def status(service: Service) -> None:
    """Per topic: the age of the oldest message still waiting, and the dead letters."""

    async def work(engine: AsyncEngine, table: Table) -> None:
        backlog = await outbox_backlog(engine, table, await _topics(engine, table))
        if not backlog:
            typer.echo("the outbox is empty")
        for topic, state in sorted(backlog.items()):
            typer.echo(f"{topic}: oldest waiting {state.lag_s:.1f} s, dead letters {state.dead}")

    _run(service, work)


@app.command("dead")
def dead(
    service: Service,
    topic: Topic = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
) -> None:
    """The dead letters, oldest first: id, topic, attempts, when and why."""

    async def work(engine: AsyncEngine, table: Table) -> None:
        letters = await list_dead_letters(engine, table, topic=topic, limit=limit)
        for letter in letters:
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "message_id": str(letter.message_id),
                            "topic": letter.topic,
                            "attempts": letter.attempts,
                            "dead_at": letter.dead_at.isoformat(),
                            "last_error": letter.last_error,
                        }
                    )
                )
            else:
                typer.echo(
                    f"{letter.message_id}  {letter.topic}  {letter.attempts} attempts  "
                    f"{letter.dead_at:%Y-%m-%d %H:%M:%S}  {letter.last_error or ''}"
                )
        if not letters and not as_json:
            typer.echo("no dead letters")

    _run(service, work)


@app.command("replay")
def replay(
    service: Service,
    message_id: Annotated[
        list[str] | None, typer.Option("--id", help="A dead letter's message id (repeatable).")
    ] = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Every dead letter (of --topic when given).")
    ] = False,
    topic: Topic = None,
) -> None:
    """Makes dead letters due again (same message id: receivers still deduplicate)."""
    if bool(message_id) == replay_all:
        typer.echo("name dead letters with --id, or use --all", err=True)
        raise typer.Exit(2)
    try:
        ids: list[uuid.UUID] | Literal["all"] = (
            "all" if replay_all else [uuid.UUID(m) for m in message_id or []]
        )
    except ValueError:
        typer.echo("a message id is a UUID", err=True)
        raise typer.Exit(2) from None

    async def work(engine: AsyncEngine, table: Table) -> int:
        return await replay_dead_letters(engine, table, ids, topic=topic)

    typer.echo(f"replayed {_run(service, work)} dead letter(s)")


@app.command("prune")
def prune(
    service: Service,
    older_than_hours: Annotated[float, typer.Option("--older-than-hours", min=0, max=MAX_AGE_HOURS)] = 168.0,
) -> None:
    """Removes delivered messages older than the given age (waiting and dead ones stay)."""

    async def work(engine: AsyncEngine, table: Table) -> int:
        return await prune_outbox(engine, table, timedelta(hours=older_than_hours))

    typer.echo(f"removed {_run(service, work)} delivered message(s)")
