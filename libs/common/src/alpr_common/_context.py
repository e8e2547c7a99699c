"""A service's request context as a dependency, declared once (issue 22): each service keeps its
context object on ``app.state`` at start and its routes take it with ``Depends``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request

T = TypeVar("T")


def state_of(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency answering ``request.app.state.<name>``, checked to be a ``kind``."""

    async def dependency(request: Request) -> T:
        value = getattr(request.app.state, name, None)
        if not isinstance(value, kind):
            raise RuntimeError(f"app.state.{name} is not set: the service's lifespan has not run")
        return value

    dependency.__name__ = f"get_{name}_context"
    return dependency
