"""Errors as RFC 9457 problem details (``application/problem+json``).

Routes raise ``Problem`` (or ``HTTPException``); the handlers here turn those, validation errors
and an unreachable store into one shape:

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "No task with this id.", "instance": "/tasks/65f0...", "request_id": "..."}

Validation problems add ``errors``, each naming its ``field``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from target_app.context import request_id_var
from target_app.store.base import StoreUnavailable

PROBLEM_JSON = "application/problem+json"
VALIDATION_TYPE = "urn:taskapi:problem:validation-error"
STORE_UNAVAILABLE_TYPE = "urn:taskapi:problem:store-unavailable"
RATE_LIMITED_TYPE = "urn:taskapi:problem:rate-limited"
CONFLICT_TYPE = "urn:taskapi:problem:conflict"


class Problem(Exception):
    """An error answered as a problem document; ``headers`` are added to the response."""

    def __init__(self, status: int, detail: str, *, type_: str = "about:blank",
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(status: int, detail: str, *, instance: str | None = None, type_: str = "about:blank",
                     headers: dict[str, str] | None = None, **extensions: Any) -> Response:
    """A problem+json response; ``title`` is the HTTP reason phrase of ``status``."""
    body: dict[str, Any] = {"type": type_, "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail}
    if instance:
        body["instance"] = instance
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_of(loc: tuple[Any, ...]) -> str:
    """``("body", "title")`` → ``title``; ``("query", "limit")`` → ``limit``; nested → ``a.b``."""
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(parts) or "body"


async def _on_problem(request: Request, exc: Problem) -> Response:
    return problem_response(exc.status, exc.detail, instance=request.url.path, type_=exc.type,
                            headers=exc.headers, **exc.extensions)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette's 405 names only the first route's)."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


async def _on_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers or None)


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":  # loc holds a character offset, not a field
            errors.append({"field": "body", "location": "body",
                           "message": f"{err.get('msg', 'invalid JSON')} at character {loc[-1]}"})
            continue
        errors.append({"field": _field_of(loc), "location": str(loc[0]) if loc else "body",
                       "message": err.get("msg", "invalid")})
    detail = "Invalid request: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, detail, instance=request.url.path, type_=VALIDATION_TYPE, errors=errors)


async def _on_store_unavailable(request: Request, exc: StoreUnavailable) -> Response:
    return problem_response(
        503, "The task store is unreachable or did not answer in time: the request may or may not have "
             "been carried out. Read before retrying a write that is not idempotent.",
        instance=request.url.path, type_=STORE_UNAVAILABLE_TYPE,
        headers={"Retry-After": str(max(1, round(exc.retry_after)))},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error the app raises as problem+json."""
    # Starlette types a handler as taking any Exception; each of ours takes the one it is for.
    app.add_exception_handler(Problem, _on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailable, _on_store_unavailable)  # type: ignore[arg-type]
