"""RFC 9457 problem responses: one exception tree, one set of handlers.

Exception tree (every class is a ``ProblemError`` carrying its HTTP status and
problem type ``urn:alpr:problem:<slug>``)::

    ProblemError
    ├── BadRequest             400 bad-request (a cursor altered or from elsewhere)
    ├── Unauthenticated        401 unauthenticated
    ├── TrainingRequired       403 training-required (R2)
    ├── Forbidden              403 forbidden
    ├── PurposeProhibited      403 purpose-prohibited (R7)
    ├── NotFound               404 not-found (R27: never echoes the id)
    ├── Conflict               409 conflict
    ├── ValidationProblem      422 validation
    ├── AuditUnavailable       503 audit-unavailable (fail closed)
    └── Unavailable            503 unavailable
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ._validation_messages import error_message

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = structlog.get_logger("alpr.problems")


class ProblemFieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["urn:alpr:problem:forbidden"])
    title: str
    status: int
    detail: str
    errors: list[ProblemFieldError] | None = None
    request_id: str | None = None


class ProblemError(Exception):
    """Base of every error the platform answers with a problem document."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"
    default_detail: ClassVar[str] = "The server could not complete the request."

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[ProblemFieldError] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None
        super().__init__(self.detail)

    @property
    def type(self) -> str:
        return f"urn:alpr:problem:{self.slug}"

    def to_problem(self, request_id: str | None = None) -> Problem:
        problem = Problem.model_validate(self, from_attributes=True)
        return problem.model_copy(update={"request_id": request_id})


class BadRequest(ProblemError):
    status = 400
    slug = "bad-request"
    title = "Bad request"
    default_detail = "The request cannot be served as it is."


class Unauthenticated(ProblemError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"
    default_detail = "A valid bearer token is required."

    def __init__(self, detail: str | None = None, *, error: str | None = "invalid_token") -> None:
        challenge = "Bearer" if error is None else f'Bearer error="{error}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class TrainingRequired(ProblemError):
    status = 403
    slug = "training-required"
    title = "ALPR training required"
    default_detail = "Current department-approved ALPR training is required (R2)."


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"
    default_detail = "Your roles do not permit this action."


class PurposeProhibited(ProblemError):
    status = 403
    slug = "purpose-prohibited"
    title = "Prohibited purpose"
    default_detail = "The stated purpose is prohibited by policy (R7)."


class NotFound(ProblemError):
    # R27: the same body whether the thing is missing or not ours to see.
    status = 404
    slug = "not-found"
    title = "Not found"
    default_detail = "The requested resource was not found."


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"
    default_detail = "The request conflicts with the current state of the resource."


class ValidationProblem(ProblemError):
    status = 422
    slug = "validation"
    title = "Invalid request"
    default_detail = "The request is not valid."


class _RetryLater(ProblemError):
    """A 503 that tells the caller, in ``Retry-After``, when to try again."""

    status = 503

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class AuditUnavailable(_RetryLater):
    slug = "audit-unavailable"
    title = "Audit ledger unavailable"
    default_detail = "The access could not be recorded in the audit ledger, so it was not performed."


class Unavailable(_RetryLater):
    slug = "unavailable"
    title = "Service unavailable"
    default_detail = "A dependency is unavailable; try again shortly."


def invalid_body_field(field: str, message: str) -> ValidationProblem:
    """422 for one field of the request body (a URL the outbound policy refuses, ...): the
    detail names the field, its error carries ``message``."""
    return ValidationProblem(
        f"{field}: {message}", errors=[ProblemFieldError(loc=["body", field], msg=message)]
    )


_STATUS_TO_ERROR: dict[int, type[ProblemError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationProblem,
    503: Unavailable,
}

_GENERIC_TITLES = {
    400: "Bad request",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
}


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.to_problem(_request_id(request)), exc.headers)


def _loc(parts: Sequence[Any]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in parts]


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    preflight = getattr(request.app.state, "auth_preflight", None)
    if preflight is not None:
        try:
            await preflight(request)
        except ProblemError as refused:
            return problem_response(refused.to_problem(_request_id(request)), refused.headers)
    errors = [ProblemFieldError(loc=_loc(e.get("loc", ())), msg=error_message(e)) for e in exc.errors()]
    problem = ValidationProblem("One or more fields are invalid.", errors=errors).to_problem(
        _request_id(request)
    )
    return problem_response(problem)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    known = _STATUS_TO_ERROR.get(exc.status_code)
    if known is not None and known is not Unauthenticated:
        err = known() if exc.status_code == 404 else known(str(exc.detail) if exc.detail else None)
        return problem_response(err.to_problem(_request_id(request)), exc.headers)
    slug = "unauthenticated" if exc.status_code == 401 else f"http-{exc.status_code}"
    problem = Problem(
        type=f"urn:alpr:problem:{slug}",
        title=_GENERIC_TITLES.get(exc.status_code, "Error"),
        status=exc.status_code,
        detail=str(exc.detail) if exc.detail else "The request could not be processed.",
        request_id=_request_id(request),
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem_response(problem, headers)


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as an RFC 9457 problem document."""
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    # A database that is restarting or out of reach is a dependency being down (503 with
    # Retry-After: the client tries again and nothing is lost), not a server bug (500). Errors
    # straight from asyncpg (COPY, LISTEN, a connection that is still starting) count too.
    for error in (OperationalError, InterfaceError, DBAPIError, ConnectionError, *_DRIVER_ERRORS):
        app.add_exception_handler(error, _handle_database_error)
    # Unexpected exceptions are answered by RequestContextMiddleware (500, no trace).


_CONNECTION_ERRORS = (ConnectionError, OSError, TimeoutError, asyncpg.PostgresConnectionError)
# The server's data exceptions, and asyncpg's own refusal of an argument it cannot encode
# (an integer past int64) before anything is sent.
_BAD_VALUE_ERRORS = (asyncpg.DataError, asyncpg.exceptions._base.DataError, OverflowError)
_DRIVER_ERRORS: tuple[type[Exception], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError)
# SQLSTATE classes of a server that cannot serve now: connection exceptions (08), insufficient
# resources (53), operator intervention (57: shutting down, starting up, crash recovery).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and node not in seen:
        seen.append(node)
        node = node.__cause__ or node.__context__
    return seen


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of the database error in ``exc``'s chain, if there is one."""
    for node in _chain(exc):
        state = getattr(node, "sqlstate", None) or getattr(node, "pgcode", None)
        if isinstance(state, str) and state:
            return state
    return None


def _is_connection_failure(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | InterfaceError | asyncpg.InterfaceError):
        return True
    state = sqlstate_of(exc)
    if state is not None and state.startswith(_UNAVAILABLE_SQLSTATE_CLASSES):
        return True
    return any(isinstance(node, _CONNECTION_ERRORS) for node in _chain(exc))


def _is_bad_value(exc: BaseException) -> bool:
    """A value the database cannot store (SQLSTATE class 22: out of range, NUL in text, ...);
    the edge refuses these first, this is the backstop so one never becomes a 500."""
    state = sqlstate_of(exc)
    return (state is not None and state.startswith("22")) or any(
        isinstance(node, _BAD_VALUE_ERRORS) for node in _chain(exc)
    )


def error_summary(exc: BaseException) -> dict[str, str]:
    """What a log line may say about a database error: its kind and SQLSTATE, never its
    message (messages and SQL carry parameter values: plates, names, case data)."""
    summary = {"error_type": type(exc).__name__}
    orig = getattr(exc, "orig", None)
    if orig is not None:
        summary["driver_error"] = type(orig).__name__.rsplit(".", 1)[-1]
    state = sqlstate_of(exc)
    if state:
        summary["sqlstate"] = state
    return summary


async def _handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    if _is_bad_value(exc):
        _log.info("database_refused_value", path=request.url.path, **error_summary(exc))
        err: ProblemError = ValidationProblem("A value is out of range or cannot be stored.")
    elif _is_connection_failure(exc):
        _log.warning("database_unavailable", path=request.url.path, **error_summary(exc))
        err = Unavailable("The database is unavailable; try again shortly.")
    elif (sqlstate_of(exc) or "").startswith("23"):
        # An integrity rule refused the change (most often the same thing made twice at once):
        # the state of the data, not a bug; the services check what they can first.
        _log.info("database_refused_change", path=request.url.path, **error_summary(exc))
        err = Conflict("The change conflicts with what is stored (it may already exist); reload and retry.")
    else:
        raise exc  # a real bug: RequestContextMiddleware answers 500 and logs it
    return problem_response(err.to_problem(_request_id(request)), err.headers)


_COMPONENTS = "#/components/schemas/"
# Every authenticated route may refuse the token (401) or its roles or training (403); every
# route with parameters or a body may refuse them (422).
_STANDARD_PROBLEMS: tuple[type[ProblemError], ...] = (Unauthenticated, Forbidden, ValidationProblem)


def problem_responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for a route, so OpenAPI shows its expected problems: the
    ``Problem`` schema under ``application/problem+json``, the media type they are sent as
    (the component itself is added by ``document_problems``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        out[err.status] = {
            "description": err.title,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"{_COMPONENTS}Problem"}}},
        }
    return out


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Makes an app's OpenAPI document say what its error answers are: the ``Problem``
    component, FastAPI's default 422 (``HTTPValidationError``, never sent: validation errors
    are answered as problems) replaced by the problem, and the standard problems declared on
    every route they can come from. Changes ``openapi`` in place and returns it."""
    problem = Problem.model_json_schema(ref_template=_COMPONENTS + "{model}", mode="serialization")
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for operation in (op for ops in openapi.get("paths", {}).values() for op in ops.values()):
        responses: dict[str, Any] = operation.setdefault("responses", {})
        default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
        if default_422.get("schema", {}).get("$ref") == f"{_COMPONENTS}HTTPValidationError":
            del responses["422"]
        standard = [
            err
            for err in _STANDARD_PROBLEMS
            if (err is ValidationProblem and (operation.get("parameters") or operation.get("requestBody")))
            or (err is not ValidationProblem and operation.get("security"))
        ]
        if _takes_cursor(operation, schemas):  # a cursor altered or from elsewhere (issue 16)
            standard.append(BadRequest)
        for status, response in problem_responses(*standard).items():
            responses.setdefault(str(status), response)
        for status, response in responses.items():
            if status.startswith(("4", "5")) and not response.get("content"):
                # An error declared by description only is still answered as a problem.
                response["content"] = problem_responses(ProblemError)[500]["content"]
    for operation in (op for ops in openapi.get("webhooks", {}).values() for op in ops.values()):
        # A webhook (issue 18) is answered by its receiver: FastAPI's default 422 is not ours.
        hook_responses: dict[str, Any] = operation.get("responses", {})
        default_422 = hook_responses.get("422", {}).get("content", {}).get("application/json", {})
        if default_422.get("schema", {}).get("$ref") == f"{_COMPONENTS}HTTPValidationError":
            del hook_responses["422"]
    if not _references(openapi, f"{_COMPONENTS}HTTPValidationError"):
        schemas.pop("HTTPValidationError", None)
        if not _references(openapi, f"{_COMPONENTS}ValidationError"):
            schemas.pop("ValidationError", None)
    return openapi


def _takes_cursor(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """A ``cursor`` query parameter, or one in the JSON body's schema."""
    if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        return True
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    schema = schemas.get(ref.removeprefix(_COMPONENTS), {}) if ref.startswith(_COMPONENTS) else body
    return "cursor" in schema.get("properties", {})


def _references(node: object, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_references(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_references(v, ref) for v in node)
    return False
