"""The request's unit of work commits before its answer goes out: a commit that fails is the
answer (never a 200 for a change that was rolled back), and a client that got its answer finds
the change at once."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from alpr_common import DbSession, ServiceSettings, create_service_app
from alpr_devstack.testing import Infra, serve


def _app(infra: Infra, table: str) -> FastAPI:
    router = APIRouter()

    @router.post("/fails-at-commit")
    async def fails_at_commit(session: DbSession) -> dict[str, bool]:
        # A deferred unique constraint is checked only by COMMIT.
        for _ in range(2):
            await session.execute(text(f"INSERT INTO {table} (v) VALUES (1)"))
        return {"ok": True}

    @router.post("/commits/{value}")
    async def commits(session: DbSession, value: int) -> dict[str, bool]:
        await session.execute(text(f"INSERT INTO {table} (v) VALUES (:v)"), {"v": value})
        return {"ok": True}

    @router.get("/count")
    async def count(session: DbSession) -> dict[str, int]:
        return {"rows": int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())}

    settings = ServiceSettings(database_url=infra.database_url, oidc_issuer=infra.issuer_url)
    return create_service_app(service="uowtest", settings=settings, description="", routers=[router])


async def test_a_failed_commit_is_the_answer_and_a_commit_is_seen_at_once(infra: Infra) -> None:
    table = f"uow_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"CREATE TABLE public.{table} (v int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        async with serve(_app(infra, f"public.{table}")) as client:
            failed = await client.post("/fails-at-commit")
            assert failed.status_code != 200
            assert failed.status_code >= 400
            for value in range(2, 22):
                assert (await client.post(f"/commits/{value}")).status_code == 200
                assert (await client.get("/count")).json() == {"rows": value - 1}
    finally:
        await conn.execute(f"DROP TABLE public.{table}")
        await conn.close()
