"""A route's documentation in one call (issue 22): each access class adds the problems all its
routes can answer, a route names its own, and the OpenAPI document says the same as the long form
(``status_code=...``, ``responses=problem_responses(...)``, ``openapi_extra=access(...)``) it
replaces."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from alpr_common import (
    ACCESS_EXTENSION,
    LEDGER_EXTENSION,
    PROBLEM_MEDIA_TYPE,
    Access,
    Action,
    AuditUnavailable,
    Conflict,
    Forbidden,
    NotFound,
    PurposeProhibited,
    TrainingRequired,
    Unauthenticated,
    Unavailable,
    ValidationProblem,
    access,
    change,
    machine,
    problem_responses,
    public,
    read,
    view,
)
from alpr_common._problems import document_problems


def _described(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, str]:
    return {status: answer["description"] for status, answer in responses.items()}


def test_each_class_names_its_access_and_ledger() -> None:
    assert view(Action.ALERT_VIEWED)["openapi_extra"] == access(Access.VIEW, Action.ALERT_VIEWED)
    assert change(Action.HOLD_CREATED, Action.SEARCH_EXECUTED)["openapi_extra"] == access(
        Access.CHANGE, Action.HOLD_CREATED, Action.SEARCH_EXECUTED
    )
    assert read()["openapi_extra"] == {ACCESS_EXTENSION: "read", LEDGER_EXTENSION: []}
    assert machine(Action.FRAME_PURGED)["openapi_extra"] == access(Access.MACHINE, Action.FRAME_PURGED)
    assert public()["openapi_extra"] == access(Access.PUBLIC)


def test_a_token_is_refused_with_401_and_403_and_no_token_with_nothing() -> None:
    person = {401: Unauthenticated.title, 403: Forbidden.title}
    for docs in (view(Action.ALERT_VIEWED), change(Action.ALERT_TRANSITIONED), read(), machine()):
        assert _described(docs["responses"]) == person
    assert public()["responses"] == {}
    assert public(refuses=(NotFound,))["responses"] == problem_responses(NotFound)


def test_a_route_names_its_own_refusals_and_the_later_of_one_status_names_it() -> None:
    docs = view(Action.FRAME_VIEWED, refuses=(NotFound, PurposeProhibited, AuditUnavailable))
    assert _described(docs["responses"]) == {
        401: Unauthenticated.title,
        403: PurposeProhibited.title,  # over the class's Forbidden
        404: NotFound.title,
        503: AuditUnavailable.title,
    }
    assert _described(machine(refuses=(AuditUnavailable, Unavailable))["responses"])[503] == Unavailable.title
    answer = docs["responses"][404]["content"][PROBLEM_MEDIA_TYPE]["schema"]
    assert answer == {"$ref": "#/components/schemas/Problem"}


def test_answers_are_in_status_order_and_the_routes_own_win() -> None:
    refused: dict[int | str, dict[str, Any]] = {403: {"description": "Refused, or not permitted."}}
    docs = change(
        Action.SHARING_REQUESTED,
        refuses=(AuditUnavailable, Conflict),
        responses={**refused, 200: {"description": "Already filed."}},
    )
    assert list(docs["responses"]) == [200, 401, 403, 409, 503]
    assert docs["responses"][403] == refused[403]


def test_the_success_status_is_fastapis_default_unless_named() -> None:
    assert read()["status_code"] is None
    assert change(Action.HOTLIST_CREATED, status=201)["status_code"] == 201
    assert machine(status=202, refuses=(Unavailable,))["status_code"] == 202


def test_machine_keeps_the_rest_of_the_operation() -> None:
    body = {"requestBody": {"required": True, "content": {}}}
    assert machine(Action.ALERT_CREATED, openapi_extra=body)["openapi_extra"] == {
        **body,
        **access(Access.MACHINE, Action.ALERT_CREATED),
    }


def _document(app: FastAPI) -> str:
    return json.dumps(document_problems(app.openapi()), sort_keys=True)


def test_the_document_is_the_long_forms() -> None:
    long, short = FastAPI(), FastAPI()
    errors = (Unauthenticated, TrainingRequired, Forbidden)

    @long.patch(
        "/v1/things/{thing_id}",
        status_code=201,
        responses=problem_responses(*errors, NotFound, Conflict, ValidationProblem, AuditUnavailable),
        openapi_extra=access(Access.CHANGE, Action.HOTLIST_UPDATED),
    )
    @short.patch(
        "/v1/things/{thing_id}",
        **change(Action.HOTLIST_UPDATED, status=201, refuses=(NotFound, Conflict, AuditUnavailable)),
    )
    async def update_thing(thing_id: int) -> None:
        """Changes a thing."""

    assert _document(short) == _document(long)
