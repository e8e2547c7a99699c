"""What every service's OpenAPI document says beyond FastAPI's defaults (issue 18, item 2):
operation ids and tags that name the service, the 503 of operations that need the database or
the ledger, event streams described in OpenAPI 3.1, and the issuer's sign-in (item 4)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from ._access import ACCESS_EXTENSION, Access
from ._database import get_session
from ._problems import ProblemError, Unavailable, problem_responses

SSE_MEDIA_TYPE = "text/event-stream"
# The security scheme naming the issuer's discovery document, beside FastAPI's ``HTTPBearer``:
# Swagger UI signs in with it (authorization code + PKCE) and generators read the endpoints.
OIDC_SCHEME = "OpenIdConnect"
DISCOVERY_PATH = "/.well-known/openid-configuration"
# Where a service is reached on the platform's one origin (issue 18, item 1): the gateway
# routes ``/api/<service>/...`` to it with the prefix stripped.
GATEWAY_PREFIX = "/api"


def gateway_prefix(service: str) -> str:
    """The path prefix of ``service`` on the gateway: ``/api/search``."""
    return f"{GATEWAY_PREFIX}/{service}"


def operation_id_generator(service: str) -> Callable[[APIRoute], str]:
    """FastAPI's ``generate_unique_id_function`` for ``service``: ``{service}-{endpoint}``
    (``hotlist-approve_entry``), unique across the platform's documents, instead of FastAPI's
    default built from the path and method (``approve_entry_v1_hotlists__hotlist_id__...``)."""

    def operation_id(route: APIRoute) -> str:
        return f"{service}-{route.name}"

    return operation_id


def service_tag(service: str, tag: str) -> str:
    """``tag`` named for its service, kebab-case: ``hotlist-alerts``, ``audit-sample-audits``
    (``hotlist entries`` of hotlist: ``hotlist-entries``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
    if slug in {"", service} or slug.startswith(f"{service}-"):
        return slug or service
    return f"{service}-{slug}"


def unavailable_operations(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """``(path, method)`` of the operations that depend on the database (the request's
    session or connection, ``DbSession`` and the like): they answer 503 ``unavailable`` while
    the database is out of reach."""
    out: set[tuple[str, str]] = set()
    for ctx in iter_route_contexts(routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and _uses_session(route.dependant):
            out.update((ctx.path or "", method.lower()) for method in ctx.methods or ())
    return out


def _uses_session(dependant: Dependant) -> bool:
    return any(
        getattr(dep.call, "__module__", None) == _DATABASE_DEPENDENCIES or _uses_session(dep)
        for dep in dependant.dependencies
    )


# The module of the database dependencies (``get_session`` and its kin).
_DATABASE_DEPENDENCIES = get_session.__module__


def document_contract(
    openapi: dict[str, Any],
    service: str,
    unavailable: Collection[tuple[str, str]] = (),
    oidc_issuer: str | None = None,
) -> dict[str, Any]:
    """Tags that name the service on every operation (and in the document's ``tags``); an
    empty ``security`` on public ones; 503 on those in ``unavailable`` and on every view
    (recorded on the ledger before it answers: no record, no data); 413 on those that take a
    body; and each event stream as OpenAPI 3.1 tools accept it: FastAPI writes ``itemSchema``
    (an OpenAPI 3.2 keyword, which 3.1 validators refuse) under ``text/event-stream``; before
    3.2, tools (schemathesis among them) read that media type's ``schema`` as one event's, so
    the item schema becomes the ``schema`` unless the route declares its own. With
    ``oidc_issuer``, an ``openIdConnect`` scheme at its discovery document, which every
    operation that takes a token accepts as well as the bearer one. ``servers`` names the
    service's prefix on the gateway (``/api/search``) first, then the service on its own port.
    Changes ``openapi`` in place and returns it."""
    openapi["servers"] = [
        {"url": gateway_prefix(service), "description": f"The {service} service on the platform's gateway."},
        # Swagger UI opened on the service's own port (no gateway in front) picks this one.
        {"url": "/", "description": f"The {service} service itself, on its own port."},
    ]
    if oidc_issuer:
        schemes = openapi.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[OIDC_SCHEME] = {
            "type": "openIdConnect",
            "openIdConnectUrl": oidc_issuer.rstrip("/") + DISCOVERY_PATH,
            "description": "Sign in at the platform's OIDC issuer (authorization code with PKCE, "
            "public client `alpr-ui`); the access token is then sent as a bearer token.",
        }
    tags: dict[str, str] = {}  # the document's tags, declared as linters want them
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            named = {service_tag(service, t): t for t in operation.get("tags") or [service]}
            operation["tags"] = list(named)
            tags.update({name: f"The {service} service: {tag}." for name, tag in named.items()})
            if operation.get(ACCESS_EXTENSION) == Access.PUBLIC:
                operation.setdefault("security", [])  # no token, said outright
            elif oidc_issuer and operation.get("security"):  # a token: either scheme's
                if {OIDC_SCHEME: []} not in operation["security"]:
                    operation["security"].append({OIDC_SCHEME: []})
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if (path, method) in unavailable or operation.get(ACCESS_EXTENSION) == Access.VIEW:
                responses.setdefault("503", _unavailable())
            if operation.get("requestBody"):  # the edge guard's limit on bodies
                responses.setdefault("413", _too_large())
            for response in responses.values():
                stream = response.get("content", {}).get(SSE_MEDIA_TYPE)
                if stream is not None and "itemSchema" in stream:
                    item = stream.pop("itemSchema")
                    stream.setdefault("schema", item)
    openapi["tags"] = [{"name": name, "description": text} for name, text in sorted(tags.items())]
    return openapi


def _too_large() -> dict[str, Any]:
    problem = problem_responses(ProblemError)[ProblemError.status]
    return {**problem, "description": "The request body is over the service's limit."}


def _unavailable() -> dict[str, Any]:
    return {
        **problem_responses(Unavailable)[Unavailable.status],
        "description": "A dependency (database, audit ledger) is unavailable; retry after `Retry-After`.",
    }
