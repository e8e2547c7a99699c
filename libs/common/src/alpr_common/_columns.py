"""The columns every service's tables declare alike: a row's uuid id, its agency (the tenant
key, R2), and the timestamptz moments it records (all times are UTC, R11)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid
from sqlalchemy.schema import SchemaItem


def id_column() -> Column[uuid.UUID]:
    """The row's uuid primary key, ``id``."""
    return Column("id", Uuid, primary_key=True)


def agency_column(*, primary_key: bool = False, index: bool | None = None) -> Column[str]:
    """The agency a row belongs to, ``agency varchar(32) NOT NULL``."""
    if primary_key:
        return Column("agency", String(32), primary_key=True)
    return Column("agency", String(32), nullable=False, index=index)


def moment_column(
    name: str, *, nullable: bool = False, primary_key: bool = False, index: bool | None = None
) -> Column[datetime]:
    """A ``timestamptz`` column, ``NOT NULL`` unless ``nullable``."""
    return Column(name, DateTime(timezone=True), nullable=nullable, primary_key=primary_key, index=index)


def timestamps() -> tuple[Column[datetime], Column[datetime]]:
    """When a row was created and when it last changed, ``created_at`` and ``updated_at``."""
    return moment_column("created_at"), moment_column("updated_at")


def agency_table(name: str, metadata: MetaData, *items: SchemaItem) -> Table:
    """A table of one agency's records (R2): ``id`` and ``agency`` first, then ``items``."""
    return Table(name, metadata, id_column(), agency_column(), *items)
