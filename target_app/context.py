"""Per-request context (request id, route) that logs and metrics read without passing it around."""

from __future__ import annotations

from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The ASGI scope of the request being served: after routing it carries the matched route.
scope_var: ContextVar[MutableMapping[str, Any] | None] = ContextVar("scope", default=None)

UNMATCHED = "unmatched"


def route_of(scope: MutableMapping[str, Any] | None) -> str:
    """The route template (``/tasks/{id}``) a request matched, or ``unmatched``."""
    if scope is None:
        return UNMATCHED
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


def current_method_and_route() -> tuple[str, str]:
    """Method and route template of the request being served (``-`` outside a request)."""
    scope = scope_var.get()
    if scope is None:
        return "-", UNMATCHED
    return scope.get("method", "-"), route_of(scope)
