"""Tasks: create, read, list, partially update, delete; each user sees only their own.

Single tasks and list pages are cached for an hour; every write invalidates what it changes
before answering, so a read after a write never sees the old data.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import orjson
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response

from target_app.caching import list_key_for_query, task_key
from target_app.deps import CacheDep, CurrentUser, EventsDep, SettingsDep, StoreDep
from target_app.events.model import TASK_COMPLETED, TASK_CREATED, TASK_DELETED, TASK_UPDATED
from target_app.hotpath import LIST_LOOKUP
from target_app.models import SPACE, SPACE_CLASS, TaskCreate, TaskListQuery, TaskPage, TaskPublic, TaskUpdate
from target_app.problems import Problem
from target_app.render import TASK_KEYS, dumps, json_response, public_task
from target_app.store.base import from_ms, is_id, new_id, to_ms, utcnow

router = APIRouter(prefix="/tasks", tags=["tasks"])


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


def _not_found() -> Problem:
    return Problem(404, "No task with this id.")


LAST_MS = to_ms(datetime.max.replace(tzinfo=UTC))  # a cursor names a time a datetime can hold
CURSOR_FORMAT = "taskapi-cursor"  # in the schema: only a next_cursor this API returned is one


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
            or not is_id(task_id) or not 0 <= created <= LAST_MS:
        raise _invalid("cursor", "not a cursor returned by this API")
    return from_ms(created), task_id


def parse_fields(fields: str | None) -> frozenset[str] | None:
    """``fields=title,status`` → the projection; unknown names are a 422 naming ``fields``."""
    if fields is None:
        return None
    names = frozenset(name.strip(SPACE) for name in fields.split(",") if name.strip(SPACE))
    unknown = names - set(TASK_KEYS)
    if unknown or not names:
        raise _invalid("fields", f"unknown field(s) {sorted(unknown)}; choose from {', '.join(TASK_KEYS)}"
                       if unknown else "name at least one field")
    return names


@router.post("", status_code=201, response_model=TaskPublic)
async def create_task(body: TaskCreate, user: CurrentUser, store: StoreDep, cache: CacheDep,
                      events: EventsDep):
    """Create a task owned by the caller."""
    now = utcnow()
    task = {"id": new_id(), "userId": user.user_id, **body.model_dump(), "createdAt": now, "updatedAt": now}
    await store.create_task(task)
    await cache.invalidate(user.user_id)
    await events.publish(TASK_CREATED, _event_data(task))
    if task["status"] == "done":
        await events.publish(TASK_COMPLETED, _event_data(task))
    return json_response(dumps(public_task(task)), 201)


def _event_data(task: dict) -> dict:
    """What the task's events carry: whose, which, its title and status (the worker reads the rest)."""
    return {"userId": task["userId"], "taskId": task["id"], "title": task["title"], "status": task["status"]}


def _query_parameters() -> list[dict]:
    """OpenAPI entries for ``TaskListQuery`` (parsed by hand, so FastAPI cannot list them)."""
    schema = TaskListQuery.model_json_schema()
    for prop in schema["properties"].values():  # a parameter is left out, never null
        if "anyOf" in prop:
            prop.update(next(option for option in prop.pop("anyOf") if option.get("type") != "null"))
            prop.pop("default", None)
    name = "(?:" + "|".join(TASK_KEYS) + ")"
    # What parse_fields accepts: known names, comma-separated, blanks and empty items ignored.
    gap = f"[{SPACE_CLASS},]*"
    schema["properties"]["fields"]["pattern"] = rf"^{gap}{name}(?:[{SPACE_CLASS}]*,{gap}{name})*{gap}$"
    schema["properties"]["cursor"]["format"] = CURSOR_FORMAT
    return [{"name": name, "in": "query", "required": False, "schema": prop,
             "description": prop.get("description", "")} for name, prop in schema["properties"].items()]


def _parse_query(request: Request) -> TaskListQuery:
    try:
        return TaskListQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("query", *err["loc"])} for err in exc.errors()]) from None


@router.get("", response_model=TaskPage, openapi_extra={"parameters": _query_parameters()})
async def list_tasks(request: Request, user: CurrentUser, store: StoreDep, cache: CacheDep,
                     settings: SettingsDep):
    """The caller's tasks, newest first, a page at a time (``next_cursor`` fetches the next).

    Query: ``status``, ``due_before``, ``due_after``, ``limit`` (1-100), ``cursor``, ``fields``.
    The hot path of a load test: a page is cached under its raw query string, and hits are
    answered by ``target_app.hotpath`` before routing; the query is validated when the page is
    computed, here.
    """
    found = request.scope.get("state", {}).get(LIST_LOOKUP)  # made by target_app.hotpath
    if found is None:
        found = await cache.lookup("task_list", user.user_id,
                                   list_key_for_query(user.user_id, request.scope["query_string"]),
                                   versioned=True)
        if found.value is not None:
            return json_response(found.value)
    query = _parse_query(request)
    after = decode_cursor(query.cursor) if query.cursor else None
    projection = parse_fields(query.fields)
    tasks = await store.list_tasks(user.user_id, status=query.status, due_before=query.due_before,
                                   due_after=query.due_after, after=after, limit=query.limit + 1,
                                   fields=projection)
    page = tasks[:query.limit]
    next_cursor = encode_cursor(page[-1]) if len(tasks) > query.limit else None
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
async def update_task(id: str, changes: TaskUpdate, user: CurrentUser, store: StoreDep, cache: CacheDep,
                      events: EventsDep):
    """Change the fields sent, and only those (``dueDate: null`` clears the due date).

    Setting ``status: done`` on a task that was not done publishes ``task.completed`` (the email).
    """
    if not is_id(id):
        raise _not_found()
    fields = changes.model_dump(exclude_unset=True)
    if not fields:
        task = await store.get_task(user.user_id, id)
    else:
        # Only a change to done completes a task: read the status before (this path only).
        before = await store.get_task(user.user_id, id) if fields.get("status") == "done" else None
        fields["updatedAt"] = utcnow()
        task = await store.update_task(user.user_id, id, fields)
        if task is not None:
            await cache.invalidate(user.user_id, task_key(user.user_id, id))
            await events.publish(TASK_UPDATED, _event_data(task))
            if before is not None and before["status"] != "done":
                await events.publish(TASK_COMPLETED, _event_data(task))
    if task is None:
        raise _not_found()
    return json_response(dumps(public_task(task)))


@router.delete("/{id}", status_code=204)
async def delete_task(id: str, user: CurrentUser, store: StoreDep, cache: CacheDep,
                      events: EventsDep) -> Response:
    """Delete one of the caller's tasks."""
    if not is_id(id) or not await store.delete_task(user.user_id, id):
        raise _not_found()
    await cache.invalidate(user.user_id, task_key(user.user_id, id))
    await events.publish(TASK_DELETED, {"userId": user.user_id, "taskId": id})
    return Response(status_code=204)
