"""FastAPI dependencies that authenticate the caller and check roles and training
(R1 individual credentials, R2 training gate, R3 roles per route), by bearer token or, on the
one route that takes them, by a one-time ticket (``require_roles_or_ticket``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ._pagination import cursor_caller_var
from ._problems import Forbidden, TrainingRequired, Unauthenticated
from ._roles import Role
from ._tokens import Principal, TokenVerifier

_bearer = HTTPBearer(auto_error=False, description="OIDC access token (JWT)")

# Marks a dependency as an authenticator, so a test can prove every route has one.
AUTHENTICATOR_ATTR = "__alpr_authenticator__"


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("the app has no token verifier; build it with create_service_app")
    return verifier


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The validated principal of a request's bearer token, or 401. No role or training check."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("A bearer token is required.", error=None)
    principal = await _verifier(request).verify(credentials.credentials)
    request.state.principal = principal
    cursor_caller_var.set(f"{principal.agency}|{principal.sub}")  # a cursor is the caller's own
    return principal


def check_training(principal: Principal) -> None:
    # R2: people need current ALPR training; machine clients are exempt.
    if not principal.is_machine and not principal.training_current():
        raise TrainingRequired(
            "Your ALPR training is missing or has expired; complete the department's training "
            "to use the system."
        )


def authorize(principal: Principal, allowed: frozenset[str], separation_of_duties: bool) -> None:
    """Training (R2), then roles (R3), then separation of duties (R21)."""
    check_training(principal)
    if allowed and principal.roles.isdisjoint(allowed):
        raise Forbidden(f"This action needs one of the roles: {', '.join(sorted(allowed))}.")
    if separation_of_duties and {Role.AUDITOR, Role.ALPR_ADMIN} <= principal.roles:
        raise Forbidden("A token holding both auditor and alpr_admin may not use auditor functions (R21).")


def require_roles(*roles: str, separation_of_duties: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting a valid token with current training (R2) and one of ``roles`` (R3).

    With no roles, any valid token with current training passes. With
    ``separation_of_duties``, a token that holds ``auditor`` and ``alpr_admin`` together is
    refused (R21: audits are done by a unit other than the administrators).
    """
    allowed = frozenset(str(r) for r in roles)

    async def dependency(
        principal: Annotated[Principal, Depends(authenticate)],
    ) -> Principal:
        authorize(principal, allowed, separation_of_duties)
        return principal

    setattr(dependency, AUTHENTICATOR_ATTR, (allowed, separation_of_duties))
    dependency.__name__ = f"require_roles_{'_'.join(sorted(allowed)) or 'any'}"
    return dependency


# A one-time ticket's principal (the ticket then used up), or None for any ticket refused. Its
# third argument is the bearer token's principal when one came along: the ticket must be its own.
TicketRedeemer = Callable[[Request, str, Principal | None], Awaitable[Principal | None]]


def require_roles_or_ticket(*roles: str, redeem: TicketRedeemer) -> Callable[..., Awaitable[Principal]]:
    """``require_roles(*roles)`` that also admits ``?ticket=`` in place of the bearer token,
    for a client that cannot send headers (a browser's ``EventSource``, issue 18). Only the
    route that declares this dependency reads the parameter. The ticket's principal passes the
    same training and role checks; every refused ticket (unknown, used, expired, another's) is
    the same 401 (R27), and the ticket itself is never logged."""
    allowed = frozenset(str(r) for r in roles)

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ticket: Annotated[
            str | None,
            Query(description="A one-time ticket in place of the `Authorization` header (browsers)."),
        ] = None,
    ) -> Principal:
        if ticket is None:
            principal = await authenticate(request, credentials)
        else:
            bearer = await authenticate(request, credentials) if credentials is not None else None
            redeemed = await redeem(request, ticket, bearer)
            if redeemed is None:
                raise Unauthenticated("The ticket is not valid (unknown, used, expired or not yours).")
            principal = redeemed
            request.state.principal = principal
            cursor_caller_var.set(f"{principal.agency}|{principal.sub}")
        authorize(principal, allowed, False)
        return principal

    setattr(dependency, AUTHENTICATOR_ATTR, (allowed, False))
    dependency.__name__ = f"require_roles_or_ticket_{'_'.join(sorted(allowed)) or 'any'}"
    return dependency


def _route_authenticator(dependant: Dependant | None) -> object:
    for dep in dependant.dependencies if dependant else ():
        marker = getattr(dep.call, AUTHENTICATOR_ATTR, None)
        if marker is not None:
            return marker
        found = _route_authenticator(dep)
        if found is not None:
            return found
    return None


async def preflight(request: Request) -> None:
    """Checks the token and roles of a request whose body failed to parse before its
    dependencies ran, so the order stays token (401), role (403), body (422)."""
    if getattr(request.state, "principal", None) is not None:
        return
    route = request.scope.get("route")
    marker = _route_authenticator(getattr(route, "dependant", None))
    if marker is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    principal = await authenticate(
        request,
        HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()) if token.strip() else None,
    )
    if isinstance(marker, tuple):
        authorize(principal, *marker)


setattr(authenticate, AUTHENTICATOR_ATTR, True)

# Any valid token with current training (R2), whatever its roles.
AnyPrincipal = Annotated[Principal, Depends(require_roles())]
# The role sets many routes share, declared once (issue 22); a route with its own set declares it
# beside the route.
AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.ALPR_ADMIN))]
ServicePrincipal = Annotated[Principal, Depends(require_roles(Role.SERVICE))]
# R21: audits by a unit other than the administrators (auditor and alpr_admin together refused).
AuditorPrincipal = Annotated[Principal, Depends(require_roles(Role.AUDITOR, separation_of_duties=True))]
