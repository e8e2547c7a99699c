"""Alembic support shared by the services: each service keeps its own migrations
directory and its own PostgreSQL schema, with its version table inside that schema."""

from __future__ import annotations

import asyncio
from importlib import import_module

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from ._database import async_database_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A nullable JSON column of a service's tables: Python None is stored as SQL NULL, not as JSON
# `null`, so `IS NULL` in a query means "none" whichever way the row was written.
NULLABLE_JSONB = JSONB(none_as_null=True)


def service_metadata(schema: str) -> MetaData:
    """The MetaData of one service's tables: its schema and the naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def alembic_config(package: str, database_url: str) -> Config:
    """An Alembic config for ``package`` (e.g. ``alpr_search``), migrations inside it."""
    cfg = Config()
    cfg.set_main_option("script_location", f"{package}:migrations")
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    """Migrates one service's schema (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(package, database_url), revision)


def downgrade(package: str, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(package, database_url), revision)


def run_env(schema: str, target_metadata: MetaData | None) -> None:
    """Body of a service's ``migrations/env.py``."""
    url = async_database_url(context.config.get_main_option("sqlalchemy.url") or "")

    def configure(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            version_table_schema=schema,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(configure)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())


def service_packages() -> list[str]:
    """The installed service packages that carry migrations, in dependency order."""
    found = []
    for name in ("audit", "ingest", "recognition", "hotlist", "search", "sharing"):
        package = f"alpr_{name}"
        try:
            module = import_module(package)
        except ImportError:
            continue
        if getattr(module, "HAS_MIGRATIONS", False):
            found.append(package)
    return found
