"""Database errors never carry statement parameters into logs or answers (issue 19, item 7):
a value the database refuses is 422, an unexpected database error 500, and neither log line
holds the plate that was in the statement."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Request
from sqlalchemy import text

from alpr_common import DbSession, ServiceSettings, create_service_app
from alpr_devstack.testing import Infra, problem, serve

PLATE = "7SECRET1"


def _app(infra: Infra) -> object:
    router = APIRouter()

    @router.get("/refused")
    async def refused(session: DbSession) -> None:
        await session.execute(text("SELECT CAST(:plate AS integer)"), {"plate": PLATE})

    @router.get("/duplicate")
    async def duplicate(session: DbSession, request: Request) -> None:
        await session.execute(text("CREATE TEMP TABLE seen (plate text PRIMARY KEY)"))
        for _ in range(2):
            await session.execute(text("INSERT INTO seen VALUES (:plate)"), {"plate": PLATE})

    @router.get("/internal")
    async def internal(session: DbSession) -> None:
        # An error the database reports with the parameter in its message (a bug: 500).
        await session.execute(
            text(
                "CREATE FUNCTION pg_temp.boom(p text) RETURNS int AS $$ BEGIN "
                "RAISE EXCEPTION 'boom %', p USING ERRCODE = 'XX000'; END $$ LANGUAGE plpgsql"
            )
        )
        await session.execute(text("SELECT pg_temp.boom(:plate)"), {"plate": PLATE})

    settings = ServiceSettings(database_url=infra.database_url, oidc_issuer=infra.issuer_url, log_json=True)
    return create_service_app(service="logtest", settings=settings, description="", routers=[router])


async def test_database_errors_log_no_parameters(infra: Infra, capfd: pytest.CaptureFixture[str]) -> None:
    app = _app(infra)
    async with serve(app) as client:  # type: ignore[arg-type]
        refused = await client.get("/refused")
        duplicate = await client.get("/duplicate")
        internal = await client.get("/internal")
    assert refused.status_code == 422
    assert PLATE not in refused.text
    assert duplicate.status_code == 409  # the same thing made twice: a conflict, not a bug
    assert PLATE not in problem(duplicate)["detail"]
    assert internal.status_code == 500
    assert PLATE not in problem(internal)["detail"]
    logs = capfd.readouterr().err
    assert "database_refused_value" in logs
    assert "database_refused_change" in logs
    assert "unhandled_error" in logs
    assert '"sqlstate": "23505"' in logs, logs
    assert '"sqlstate": "XX000"' in logs, logs
    assert PLATE not in logs
