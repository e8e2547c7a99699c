"""Shared pieces of the services' lifespans, delivery logs, page queries and body checks (issue
22): stopping background tasks, what one try of a signed delivery comes to, a page's keyset query,
and the 422 for one field of a body."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Select, Table, select

from alpr_common import (
    OutboxOutcome,
    ValidationProblem,
    cancel_and_wait,
    delivery_log_table,
    invalid_body_field,
    judge_delivery,
    rows_after,
    rows_before,
)


async def test_cancel_and_wait_stops_every_task() -> None:
    tasks = [asyncio.create_task(asyncio.sleep(60)) for _ in range(3)]
    await cancel_and_wait(tasks)
    assert all(t.cancelled() for t in tasks)


async def test_cancel_and_wait_raises_a_task_s_own_failure() -> None:
    async def fails() -> None:
        raise RuntimeError("broken")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="broken"):
        await cancel_and_wait([task])


@pytest.mark.parametrize(
    ("error", "attempt", "gone", "status", "retry_in", "kind"),
    [
        (None, 1, False, "delivered", None, "delivered"),
        ("503", 1, False, "pending", timedelta(seconds=1), "retry"),
        ("503", 3, False, "pending", timedelta(seconds=4), "retry"),
        ("503", 4, False, "pending", timedelta(seconds=5), "retry"),  # the backoff's cap
        ("503", 5, False, "failed", None, "failed"),  # the tries are spent
        ("503", 1, True, "failed", None, "failed"),  # the receiver is gone
    ],
)
def test_judge_delivery(
    error: str | None, attempt: int, gone: bool, status: str, retry_in: timedelta | None, kind: str
) -> None:
    verdict = judge_delivery(error, attempt, max_attempts=5, max_backoff_s=5, receiver_gone=gone)
    assert (verdict.status, verdict.retry_in, verdict.outcome.kind) == (status, retry_in, kind)
    assert verdict.outcome.error == error
    assert isinstance(verdict.outcome, OutboxOutcome)


def test_a_delivery_log_keeps_its_own_columns_between_the_id_and_the_state() -> None:
    log = delivery_log_table(MetaData(schema="s"), "log", Column("target", Integer, nullable=False))
    assert list(log.c.keys()) == [
        "id",
        "message_id",
        "target",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    ]


def _sql(query: Select[Any]) -> str:
    return " ".join(str(query).split())


def test_rows_before_and_after_page_by_one_column() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True))
    assert _sql(rows_before(select(table), table.c.id, 7, 11)) == (
        "SELECT t.id FROM t WHERE t.id < :id_1 ORDER BY t.id DESC LIMIT :param_1"
    )
    assert _sql(rows_after(select(table), table.c.id, None, 11)) == (
        "SELECT t.id FROM t ORDER BY t.id LIMIT :param_1"
    )


def test_invalid_body_field_names_the_field() -> None:
    problem = invalid_body_field("url", "private address")
    assert isinstance(problem, ValidationProblem)
    assert problem.detail == "url: private address"
    assert [(e.loc, e.msg) for e in problem.errors or []] == [(["body", "url"], "private address")]
