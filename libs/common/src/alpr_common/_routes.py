"""A route's documentation declared in one call (issue 22): its access class, the ledger actions
it records, the problems it can answer and, where it is not 200, its success status, splatted
into the decorator (the response model is the endpoint's return annotation)::

    @router.post("/v1/hotlists", **change(Action.HOTLIST_CREATED, status=201, refuses=(Conflict,)))

One function per access class (``Access``). Each adds the problems every route of its class can
answer, so that a route names only its own (``refuses``: 404, 409, a purpose refused, ...):

- a person's token (``view``, ``change``, ``read``): 401 ``Unauthenticated`` (no token, or a bad
  one), 403 ``TrainingRequired`` (R2) and ``Forbidden`` (not the route's roles);
- a machine's token (``machine``: services, cameras): 401 ``Unauthenticated``, 403 ``Forbidden``
  (machine clients need no training);
- no token (``public``): nothing.

503 ``AuditUnavailable`` is a route's own: a view is recorded before it answers and fails closed,
but ``document_contract`` already declares a 503 on every view (database or ledger down), so a
view names it where its document says which; a change names it where its record can refuse it.

What ``document_problems`` adds to every route is not repeated either: 422 for a route with
parameters or a body, 400 for one that takes a cursor. Two problems of one status share one
entry: the later one names it (a route's own refusal over its class's problem). A route's own
answers (``responses=``: a second success, a problem described its own way) win over both; the
answers are listed in status order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from ._access import Access, access
from ._problems import Forbidden, ProblemError, TrainingRequired, Unauthenticated, problem_responses
from ._vocabulary import Action

Problems = Sequence[type[ProblemError]]
Responses = Mapping[int | str, dict[str, Any]]

_MACHINE: tuple[type[ProblemError], ...] = (Unauthenticated, Forbidden)
_PERSON: tuple[type[ProblemError], ...] = (Unauthenticated, TrainingRequired, Forbidden)


class RouteDocs(TypedDict):
    """The keyword arguments of a route's decorator that document it (``status_code``: ``None``
    is FastAPI's default, 200)."""

    status_code: int | None
    responses: dict[int | str, dict[str, Any]]
    openapi_extra: dict[str, Any]


def _route(
    kind: Access,
    ledger: Sequence[Action],
    problems: Problems,
    status: int | None,
    responses: Responses | None,
    openapi_extra: Mapping[str, Any] | None = None,
) -> RouteDocs:
    # The route's own answers (a second success, a problem described its own way) win.
    merged = {**problem_responses(*problems), **(responses or {})}
    return {
        "status_code": status,
        "responses": dict(sorted(merged.items(), key=lambda item: str(item[0]))),
        "openapi_extra": {**(openapi_extra or {}), **access(kind, *ledger)},
    }


def view(
    *ledger: Action, status: int | None = None, refuses: Problems = (), responses: Responses | None = None
) -> RouteDocs:
    """A view (``Access.VIEW``) recording ``ledger``: a person's token, recorded first."""
    return _route(Access.VIEW, ledger, (*_PERSON, *refuses), status, responses)


def change(
    *ledger: Action, status: int | None = None, refuses: Problems = (), responses: Responses | None = None
) -> RouteDocs:
    """A change (``Access.CHANGE``) recording ``ledger``: a person's token, recorded."""
    return _route(Access.CHANGE, ledger, (*_PERSON, *refuses), status, responses)


def read(
    *, status: int | None = None, refuses: Problems = (), responses: Responses | None = None
) -> RouteDocs:
    """A read (``Access.READ``): a person's token, nothing recorded."""
    return _route(Access.READ, (), (*_PERSON, *refuses), status, responses)


def machine(
    *ledger: Action,
    status: int | None = None,
    refuses: Problems = (),
    responses: Responses | None = None,
    openapi_extra: Mapping[str, Any] | None = None,
) -> RouteDocs:
    """A machine route (``Access.MACHINE``): a service's or a camera's token; ``ledger`` is what
    it records of what it causes. ``openapi_extra`` is the rest of the operation (a body read by
    hand)."""
    return _route(Access.MACHINE, ledger, (*_MACHINE, *refuses), status, responses, openapi_extra)


def public(
    *, status: int | None = None, refuses: Problems = (), responses: Responses | None = None
) -> RouteDocs:
    """A public route (``Access.PUBLIC``): no token, never recorded."""
    return _route(Access.PUBLIC, (), refuses, status, responses)
