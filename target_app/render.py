"""JSON bodies, built once with orjson: a cached response is these exact bytes, so a hit and a
miss answer byte for byte the same."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from target_app.store.base import Doc

_OPTIONS = orjson.OPT_UTC_Z
PUBLIC_USER_KEYS = ("id", "email", "name", "createdAt", "updatedAt")
TASK_KEYS = ("id", "userId", "title", "description", "status", "priority", "dueDate", "createdAt",
             "updatedAt")


def dumps(value: Any) -> bytes:
    """JSON bytes; datetimes as ISO 8601 in UTC with a ``Z``."""
    return orjson.dumps(value, option=_OPTIONS)


def json_response(body: bytes, status: int = 200) -> Response:
    """A response carrying already-serialised JSON."""
    return Response(body, status_code=status, media_type="application/json")


def public_user(user: Doc) -> dict[str, Any]:
    """A user as the API shows it: never the password hash."""
    return {key: user[key] for key in PUBLIC_USER_KEYS}


def public_task(task: Doc, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """A task as the API shows it, keys in a fixed order; only ``id`` and ``fields`` if given."""
    if fields is None:
        return {key: task.get(key) for key in TASK_KEYS}
    return {key: task.get(key) for key in TASK_KEYS if key == "id" or key in fields}
