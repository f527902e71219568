"""The OpenAPI document, completed with the errors each operation answers, as problem+json.

FastAPI documents the success response and a JSON 422 only. ``OPERATIONS`` lists each
operation's problem statuses and whether it takes a bearer token; a 400 (a body that cannot be
read) is added wherever there is a body. An operation missing from the table fails the
document's build, so its tests; schemathesis checks that no status the API answers is missing.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from target_app.problems import PROBLEM_JSON

# Any authenticated route: 401 (no or bad token), 429 (per-user limit), 503 (store unreachable).
_USER = (401, 429, 503)
# (problem statuses, needs a bearer token) per operation.
OPERATIONS: dict[str, tuple[tuple[int, ...], bool]] = {
    "POST /auth/register": ((409, 422, 429, 503), False),
    "POST /auth/login": ((401, 422, 429, 503), False),
    "GET /users/me": ((*_USER, 404), True),
    "PATCH /users/me": ((*_USER, 404, 409, 422), True),
    "POST /tasks": ((*_USER, 422), True),
    "GET /tasks": ((*_USER, 422), True),
    "GET /tasks/{id}": ((*_USER, 404), True),
    "PATCH /tasks/{id}": ((*_USER, 404, 422), True),
    "DELETE /tasks/{id}": ((*_USER, 404), True),
    "GET /analytics": (_USER, True),
    "GET /health": ((), False),
    "GET /ready": ((), False),  # its 503 is a Readiness document, declared on the route
    "POST /admin/seed": ((403, 422, 503), False),
}

_PROBLEM_REF = "#/components/schemas/Problem"
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                "schema": {"type": "integer", "minimum": 1}}}

BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                 "description": "The access_token of POST /auth/login."}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details; validation errors name each field.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem, or about:blank."},
        "title": {"type": "string", "description": "The HTTP reason phrase."},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path."},
        "request_id": {"type": "string", "description": "As in the X-Request-ID response header."},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "location", "message"],
            "properties": {"field": {"type": "string"}, "location": {"type": "string"},
                           "message": {"type": "string"}}}},
    },
}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one problem status."""
    response: dict[str, Any] = {"description": HTTPStatus(status).phrase,
                                "content": {PROBLEM_JSON: {"schema": {"$ref": _PROBLEM_REF}}}}
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first request)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        # FastAPI's own 422 shape is never answered: every 422 is a problem document.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        components["securitySchemes"] = {"bearer": BEARER_SCHEME}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                statuses, authenticated = OPERATIONS[f"{method.upper()} {path}"]
                responses = operation["responses"]
                responses.pop("422", None)  # FastAPI's, for any parameter (an id path one cannot fail)
                if "requestBody" in operation:  # a body that is not text (JSON that is not is a 422)
                    statuses = (*statuses, 400)
                for status in sorted(set(statuses)):
                    responses[str(status)] = problem_response(status)
                if authenticated:
                    operation["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
