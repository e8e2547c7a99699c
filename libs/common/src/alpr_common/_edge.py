"""What every request must be before any service code sees it (issue 19): headers within
``MAX_HEADER_BYTES`` (else 431), a body within ``MAX_BODY_BYTES`` (``MAX_UPLOAD_BYTES`` for
multipart uploads; else 413), and no control characters in the path, the query or any text
of a JSON body (else 422, after the token and role checks so their order stays 401, 403, 422).

Control characters are what made a NUL byte silence the ledger (PostgreSQL cannot store it in
text) and what forges log lines; tab, line feed and carriage return stay allowed inside JSON
text (notes and justifications have lines). Multipart form fields are checked by their own
type (``FormText``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

import structlog
from fastapi import FastAPI, Request
from pydantic import AfterValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._audit_events import audit_event
from ._observability import RouteTemplates
from ._problems import Problem, ProblemError, ProblemFieldError, ValidationProblem, problem_response
from ._tokens import Principal
from ._vocabulary import Action, Outcome, Purpose

# C0 controls but tab, LF and CR; DEL; C1 controls. In paths and queries even tab, LF and CR.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A JSON body that may hold one: an escape of such a character (after an even run of
# backslashes, so an escaped backslash followed by "u0000" is text), \b or \f, or a raw DEL or
# C1 character (valid unescaped in JSON strings). Only on a hit is the body parsed to find it.
_JSON_CONTROL = re.compile(
    rb"(?:^|[^\\])(?:\\\\)*\\(?:u00(?!0[9aAdD])(?:[01][0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|[bf])"
    rb"|\x7f|\xc2[\x80-\x9f]"
)


def _no_control(value: str) -> str:
    if _TEXT_CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


FormText = Annotated[str, AfterValidator(_no_control)]
"""A form field's text, refused with 422 when it holds a control character."""


_log = structlog.get_logger("alpr.edge")


class _TooLarge(Exception):
    pass


def _controls_in(value: Any, loc: list[str | int]) -> Iterator[list[str | int]]:
    if isinstance(value, str):
        if _TEXT_CONTROL.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if _TEXT_CONTROL.search(key):
                yield [*loc, key]
            yield from _controls_in(item, [*loc, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _controls_in(item, [*loc, index])


def _body_controls(body: bytes) -> list[list[str | int]]:
    if not _JSON_CONTROL.search(body):
        return []
    try:
        parsed = json.loads(body)
    except ValueError:
        return []  # not JSON after all: the app answers its own 422
    return list(_controls_in(parsed, ["body"]))


def _url_controls(scope: Scope) -> list[list[str | int]]:
    found: list[list[str | int]] = []
    if _URL_CONTROL.search(scope.get("path", "")):
        found.append(["path"])
    query = scope.get("query_string", b"")
    if query:
        for part in query.split(b"&"):
            name, _, value = part.partition(b"=")
            decoded = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", "replace")
            raw_name = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
            if _URL_CONTROL.search(decoded) or _URL_CONTROL.search(raw_name):
                found.append(["query", raw_name if raw_name.isprintable() else "?"])
    return found


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


class EdgeGuardMiddleware:
    """Size limits and control characters, checked once for every service (issue 19)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        fastapi_app: FastAPI,
        max_body_bytes: int,
        max_upload_bytes: int,
        max_header_bytes: int,
    ) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.routes = RouteTemplates(fastapi_app)
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(k) + len(v) + 4 for k, v in scope.get("headers", []))
        if header_bytes > self.max_headers:
            await _refuse(scope, send, 431, "The request headers are too large.")
            return
        content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        limit = self.max_upload if content_type == b"multipart/form-data" else self.max_body
        declared = _header(scope, b"content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise _TooLarge
            body = await _read_body(receive, limit)
        except _TooLarge:
            await _refuse(scope, send, 413, f"The request body is over {limit} bytes.")
            return
        bad = _url_controls(scope)
        if content_type == b"application/json" or content_type.endswith(b"+json"):
            bad += _body_controls(body)
        if bad:
            await self._refuse_controls(scope, send, bad, body)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse_controls(
        self, scope: Scope, send: Send, locs: list[list[str | int]], body: bytes
    ) -> None:
        # The token and the route's roles come first, as for any other invalid request.
        preflight = getattr(self.fastapi_app.state, "auth_preflight", None)
        route = self.routes.lookup(scope.get("path", ""), scope.get("method", "GET"))
        if preflight is not None and route is not None:
            try:
                await preflight(Request({**scope, "app": self.fastapi_app, "route": route}))
            except ProblemError as refused:
                await problem_response(refused.to_problem(_request_id(scope)), refused.headers)(
                    scope, _empty_receive, send
                )
                return
        principal = scope.get("state", {}).get("principal")
        if isinstance(principal, Principal):
            await self._record_refusal(scope, principal, route, locs, body)
        errors = [ProblemFieldError(loc=loc, msg="control characters are not allowed") for loc in locs]
        problem = ValidationProblem("Text may not contain control characters.", errors=errors)
        await problem_response(problem.to_problem(_request_id(scope)))(scope, _empty_receive, send)

    async def _record_refusal(
        self, scope: Scope, principal: Principal, route: Any, locs: list[list[str | int]], body: bytes
    ) -> None:
        """R7 and issue 16: a refused attempt is on the ledger with why, whatever refused it;
        one refused for control characters names its purpose when it stated an authorized or
        prohibited one (a NUL must not hide a prohibited purpose). Best effort: the answer is
        422 either way."""
        clients = getattr(self.fastapi_app.state, "clients", None)
        if clients is None:
            return
        stated = _stated_purpose(scope, body)
        try:
            await clients.audit.record(
                audit_event(
                    principal,
                    Action.POLICY_REFUSED,
                    source=str(getattr(self.fastapi_app.state, "service_name", "service")),
                    outcome=Outcome.REFUSED,
                    outcome_reason="control-characters",
                    purpose=stated,
                    data={
                        "route": str(getattr(route, "path", "")),
                        "method": str(scope.get("method", "")),
                        "fields": [".".join(str(p) for p in loc) for loc in locs][:20],
                    },
                )
            )
        except ProblemError as exc:
            _log.warning("refusal_not_recorded", reason="control-characters", error=type(exc).__name__)


def _stated_purpose(scope: Scope, body: bytes) -> Purpose | None:
    candidates: list[object] = []
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        candidates.append(parsed.get("purpose"))
        if isinstance(parsed.get("search"), dict):
            candidates.append(parsed["search"].get("purpose"))
    for part in scope.get("query_string", b"").split(b"&"):
        name, _, value = part.partition(b"=")
        if name == b"purpose":
            candidates.append(unquote_to_bytes(value).decode("utf-8", "replace"))
    for value in candidates:
        if isinstance(value, str) and value in Purpose.__members__.values():
            return Purpose(value)
    return None


_TITLES = {413: "Payload too large", 431: "Request headers too large"}


async def _refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
    problem = Problem(
        type=f"urn:alpr:problem:http-{status}",
        title=_TITLES[status],
        status=status,
        detail=detail,
        request_id=_request_id(scope),
    )
    await problem_response(problem, {"Connection": "close"})(scope, _empty_receive, send)


def _request_id(scope: Scope) -> str | None:
    value = scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client to go away

    return replayed


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
