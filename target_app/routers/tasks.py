"""Tasks: create, read, list, partially update, delete; each user sees only their own.

Single tasks and list pages are cached for an hour; every write invalidates what it changes
before answering, so a read after a write never sees the old data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from target_app.caching import list_key, task_key
from target_app.deps import CacheDep, CurrentUser, RateLimited, SettingsDep, StoreDep
from target_app.models import Status, TaskCreate, TaskPage, TaskPublic, TaskUpdate, UtcDatetime
from target_app.problems import Problem
from target_app.render import TASK_KEYS, dumps, json_response, public_task
from target_app.store.base import from_ms, is_id, new_id, to_ms, utcnow

router = APIRouter(prefix="/tasks", tags=["tasks"], dependencies=[RateLimited])

MAX_LIMIT = 100


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


def _not_found() -> Problem:
    return Problem(404, "No task with this id.")


def encode_cursor(task: dict) -> str:
    """An opaque cursor: the (createdAt, id) of the last task on a page."""
    return base64.urlsafe_b64encode(orjson.dumps([to_ms(task["createdAt"]), task["id"]])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor names; a 422 naming ``cursor`` if it is not one of ours."""
    try:
        created, task_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise _invalid("cursor", "not a cursor returned by this API") from None
    if not isinstance(created, int) or isinstance(created, bool) or not isinstance(task_id, str) \
            or not is_id(task_id) or not 0 <= created < 2**53:
        raise _invalid("cursor", "not a cursor returned by this API")
    return from_ms(created), task_id


def parse_fields(fields: str | None) -> frozenset[str] | None:
    """``fields=title,status`` → the projection; unknown names are a 422 naming ``fields``."""
    if fields is None:
        return None
    names = frozenset(name.strip() for name in fields.split(",") if name.strip())
    unknown = names - set(TASK_KEYS)
    if unknown or not names:
        raise _invalid("fields", f"unknown field(s) {sorted(unknown)}; choose from {', '.join(TASK_KEYS)}"
                       if unknown else "name at least one field")
    return names


@router.post("", status_code=201, response_model=TaskPublic)
async def create_task(body: TaskCreate, user: CurrentUser, store: StoreDep, cache: CacheDep):
    """Create a task owned by the caller."""
    now = utcnow()
    task = {"id": new_id(), "userId": user.user_id, **body.model_dump(), "createdAt": now, "updatedAt": now}
    await store.create_task(task)
    await cache.invalidate(user.user_id)
    return json_response(dumps(public_task(task)), 201)


@router.get("", response_model=TaskPage, response_model_exclude_unset=True)
async def list_tasks(
    user: CurrentUser, store: StoreDep, cache: CacheDep, settings: SettingsDep,
    status: Status | None = None,
    due_before: Annotated[UtcDatetime | None, Query(description="Due strictly before this time.")] = None,
    due_after: Annotated[UtcDatetime | None, Query(description="Due at or after this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    fields: Annotated[str | None, Query(description="Comma-separated fields to return (id always).")] = None,
):
    """The caller's tasks, newest first, a page at a time (``next_cursor`` fetches the next)."""
    after = decode_cursor(cursor) if cursor else None
    projection = parse_fields(fields)
    query = "|".join((status or "", str(to_ms(due_before)) if due_before else "",
                      str(to_ms(due_after)) if due_after else "", str(limit), cursor or "",
                      ",".join(sorted(projection)) if projection else "*"))
    digest = hashlib.blake2b(query.encode(), digest_size=12).hexdigest()
    found = await cache.lookup("task_list", user.user_id, list_key(user.user_id, digest), versioned=True)
    if found.value is not None:
        return json_response(found.value)
    tasks = await store.list_tasks(user.user_id, status=status, due_before=due_before, due_after=due_after,
                                   after=after, limit=limit + 1, fields=projection)
    page = tasks[:limit]
    next_cursor = encode_cursor(page[-1]) if len(tasks) > limit else None
    body = dumps({"items": [public_task(t, projection) for t in page], "next_cursor": next_cursor})
    await cache.fill(found, body, settings.TASK_CACHE_SECONDS)
    return json_response(body)


@router.get("/{id}", response_model=TaskPublic)
async def read_task(id: str, user: CurrentUser, store: StoreDep, cache: CacheDep, settings: SettingsDep):
    """One of the caller's tasks; 404 if it does not exist or belongs to someone else."""
    if not is_id(id):
        raise _not_found()
    found = await cache.lookup("task", user.user_id, task_key(user.user_id, id), versioned=False)
    if found.value is not None:
        return json_response(found.value)
    task = await store.get_task(user.user_id, id)
    if task is None:
        raise _not_found()
    body = dumps(public_task(task))
    await cache.fill(found, body, settings.TASK_CACHE_SECONDS)
    return json_response(body)


@router.patch("/{id}", response_model=TaskPublic)
async def update_task(id: str, changes: TaskUpdate, user: CurrentUser, store: StoreDep, cache: CacheDep):
    """Change the fields sent, and only those (``dueDate: null`` clears the due date)."""
    if not is_id(id):
        raise _not_found()
    fields = changes.model_dump(exclude_unset=True)
    if not fields:
        task = await store.get_task(user.user_id, id)
    else:
        fields["updatedAt"] = utcnow()
        task = await store.update_task(user.user_id, id, fields)
        if task is not None:
            await cache.invalidate(user.user_id, task_key(user.user_id, id))
    if task is None:
        raise _not_found()
    return json_response(dumps(public_task(task)))


@router.delete("/{id}", status_code=204)
async def delete_task(id: str, user: CurrentUser, store: StoreDep, cache: CacheDep) -> Response:
    """Delete one of the caller's tasks."""
    if not is_id(id) or not await store.delete_task(user.user_id, id):
        raise _not_found()
    await cache.invalidate(user.user_id, task_key(user.user_id, id))
    return Response(status_code=204)
