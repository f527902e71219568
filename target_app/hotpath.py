"""The hot path of a load test: ``GET /tasks`` answered from the cache before FastAPI routes it.

A cached page needs a token check, a rate-limit count and one cache round trip; FastAPI's
routing and dependency resolution would cost more than all three. This ASGI middleware does
just those, with the same functions the route uses, and sends the cached bytes. Anything else —
no valid token (the route answers 401), a miss (the route computes and fills the page) — goes on
to the app, carrying what was already done in ``scope["state"]`` so nothing is done twice.

It sits inside ``RequestContextMiddleware``: request id, latency metric and logs apply as usual.
"""

from __future__ import annotations

from types import SimpleNamespace

from starlette.types import ASGIApp, Receive, Scope, Send

from target_app.caching import list_key_for_query
from target_app.problems import Problem, problem_response
from target_app.security import InvalidToken, bearer_token

PRINCIPAL = "taskapi.principal"  # scope["state"] key: authenticated and rate-limit counted
LIST_LOOKUP = "taskapi.list_lookup"  # scope["state"] key: the list lookup already made (a miss)
_LIST_ROUTE = SimpleNamespace(path="/tasks")  # labels metrics as the route would


class CachedListReads:
    """Answer ``GET /tasks`` cache hits directly; hand everything else to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/tasks" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        services = scope["app"].state.services
        token = _bearer_token(scope)
        try:
            principal = services.tokens.check(token) if token else None
        except InvalidToken:
            principal = None
        if principal is None:  # the route answers, with the reason
            await self.app(scope, receive, send)
            return
        scope["route"] = _LIST_ROUTE
        state = scope.setdefault("state", {})
        if services.limiter is not None:
            try:
                await services.limiter.check("user", principal.user_id)
            except Problem as exc:
                response = problem_response(exc.status, exc.detail, instance=scope["path"], type_=exc.type,
                                            headers=exc.headers)
                await response(scope, receive, send)
                return
        state[PRINCIPAL] = principal
        found = await services.cache.lookup(
            "task_list", principal.user_id, list_key_for_query(principal.user_id, scope["query_string"]),
            versioned=True)
        if found.value is None:
            state[LIST_LOOKUP] = found
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(found.value)).encode()),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": found.value})


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bearer_token(value.decode("latin-1"))
    return None
