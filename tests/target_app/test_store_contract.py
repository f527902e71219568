"""The store contract, the same for FerretDB (through the MongoDB adapter) and embedded SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from taskapi_helpers import crash

from target_app.store import Conflict, StoreUnavailable
from target_app.store.base import new_id, utcnow
from target_app.store.mongo import MongoStore
from target_app.store.sqlite import SQLiteStore


@pytest.fixture(scope="module", params=["ferretdb", "sqlite"])
async def store(request, tmp_path_factory):
    if request.param == "ferretdb":
        mongodb_url = request.getfixturevalue("mongodb_url")
        s = MongoStore(mongodb_url, f"contract_{uuid.uuid4().hex[:8]}")
    else:
        s = SQLiteStore(str(tmp_path_factory.mktemp("sqlite") / "store.sqlite3"))
    await s.setup()
    yield s
    await s.close()


def a_user(**fields) -> dict:
    now = utcnow()
    return {"id": new_id(), "email": f"{uuid.uuid4().hex[:12]}@example.org", "name": "Ada",
            "passwordHash": "$argon2id$fake", "createdAt": now, "updatedAt": now} | fields


def a_task(user_id: str, **fields) -> dict:
    now = utcnow()
    return {"id": new_id(), "userId": user_id, "title": "Write tests", "description": "", "status": "todo",
            "priority": "medium", "dueDate": None, "createdAt": now, "updatedAt": now} | fields


async def test_a_created_user_is_found_by_id_and_by_email(store):
    user = a_user()
    await store.create_user(user)
    assert await store.get_user(user["id"]) == user
    assert await store.get_user_by_email(user["email"]) == user


async def test_an_unknown_user_is_none(store):
    assert await store.get_user(new_id()) is None
    assert await store.get_user_by_email("nobody@example.org") is None


async def test_a_taken_email_is_a_conflict(store):
    user = a_user()
    await store.create_user(user)
    with pytest.raises(Conflict):
        await store.create_user(a_user(email=user["email"]))


async def test_update_user_returns_the_user_as_updated(store):
    user = a_user()
    await store.create_user(user)
    later = utcnow() + timedelta(seconds=1)
    updated = await store.update_user(user["id"], {"name": "Grace", "updatedAt": later})
    assert updated == user | {"name": "Grace", "updatedAt": later}


async def test_updating_to_a_taken_email_is_a_conflict(store):
    first, second = a_user(), a_user()
    await store.create_user(first)
    await store.create_user(second)
    with pytest.raises(Conflict):
        await store.update_user(second["id"], {"email": first["email"]})


async def test_bulk_insert_skips_taken_emails_and_says_which_went_in(store):
    taken = a_user()
    await store.create_user(taken)
    fresh = [a_user(), a_user()]
    inserted = await store.insert_users([a_user(email=taken["email"]), *fresh])
    assert inserted == {u["email"] for u in fresh}
    assert (await store.get_user_by_email(taken["email"]))["id"] == taken["id"]


async def test_user_ids_by_email_maps_the_existing_emails_only(store):
    user = a_user()
    await store.create_user(user)
    found = await store.user_ids_by_email([user["email"], "missing@example.org"])
    assert found == {user["email"]: user["id"]}


async def test_a_task_comes_back_as_stored_with_utc_millisecond_times(store):
    user_id = new_id()
    due = datetime(2031, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    task = a_task(user_id, dueDate=due, description="désc ✓", priority="high")
    await store.create_task(task)
    found = await store.get_task(user_id, task["id"])
    assert found == task
    assert found["dueDate"].utcoffset() == timedelta(0)


async def test_another_users_task_cannot_be_read_updated_or_deleted(store):
    owner, other = new_id(), new_id()
    task = a_task(owner)
    await store.create_task(task)
    assert await store.get_task(other, task["id"]) is None
    assert await store.update_task(other, task["id"], {"title": "mine now"}) is None
    assert await store.delete_task(other, task["id"]) is False
    assert await store.get_task(owner, task["id"]) == task


async def test_list_is_newest_first_and_only_the_users(store):
    user_id = new_id()
    start = utcnow()
    tasks = [a_task(user_id, createdAt=start + timedelta(seconds=i)) for i in range(3)]
    for task in tasks:
        await store.create_task(task)
    await store.create_task(a_task(new_id()))
    listed = await store.list_tasks(user_id)
    assert [t["id"] for t in listed] == [t["id"] for t in reversed(tasks)]


async def test_list_pages_continue_after_the_last_task_even_with_equal_times(store):
    user_id = new_id()
    same_time = utcnow()
    tasks = [a_task(user_id, createdAt=same_time) for _ in range(5)]
    await store.insert_tasks(tasks)
    seen: list[str] = []
    after = None
    while True:
        page = await store.list_tasks(user_id, limit=2, after=after)
        if not page:
            break
        seen += [t["id"] for t in page]
        after = (page[-1]["createdAt"], page[-1]["id"])
    assert seen == sorted((t["id"] for t in tasks), reverse=True)


async def test_list_filters_by_status(store):
    user_id = new_id()
    done = a_task(user_id, status="done")
    await store.insert_tasks([done, a_task(user_id, status="todo")])
    assert [t["id"] for t in await store.list_tasks(user_id, status="done")] == [done["id"]]


async def test_list_due_bounds_are_before_exclusive_after_inclusive_and_skip_undated(store):
    user_id = new_id()
    day = datetime(2030, 1, 10, tzinfo=UTC)
    early, on_day, late = (a_task(user_id, dueDate=day + timedelta(days=d)) for d in (-1, 0, 1))
    await store.insert_tasks([early, on_day, late, a_task(user_id, dueDate=None)])
    before = await store.list_tasks(user_id, due_before=day)
    after = await store.list_tasks(user_id, due_after=day)
    assert {t["id"] for t in before} == {early["id"]}
    assert {t["id"] for t in after} == {on_day["id"], late["id"]}


async def test_list_projection_keeps_the_fields_asked_plus_id_and_created(store):
    user_id = new_id()
    await store.create_task(a_task(user_id))
    [task] = await store.list_tasks(user_id, fields=["title"])
    assert set(task) == {"id", "title", "createdAt"}


async def test_update_task_changes_only_the_given_fields(store):
    user_id = new_id()
    task = a_task(user_id)
    await store.create_task(task)
    updated = await store.update_task(user_id, task["id"], {"status": "done"})
    assert updated == task | {"status": "done"}


async def test_delete_task_says_whether_there_was_one(store):
    user_id = new_id()
    task = a_task(user_id)
    await store.create_task(task)
    assert await store.delete_task(user_id, task["id"]) is True
    assert await store.delete_task(user_id, task["id"]) is False
    assert await store.get_task(user_id, task["id"]) is None


async def test_task_stats_count_by_status_and_overdue_open_tasks(store):
    user_id = new_id()
    now = utcnow()
    past, future = now - timedelta(days=1), now + timedelta(days=1)
    await store.insert_tasks([
        a_task(user_id, status="todo", dueDate=past), a_task(user_id, status="in_progress", dueDate=past),
        a_task(user_id, status="done", dueDate=past), a_task(user_id, status="todo", dueDate=future),
        a_task(user_id, status="todo"), a_task(new_id(), status="todo", dueDate=past),
    ])
    assert await store.task_stats(user_id, now) == {"counts": {"todo": 3, "in_progress": 1, "done": 1},
                                                    "overdue": 2}


async def test_a_stopped_mongodb_server_is_store_unavailable(own_ferretdb):
    s = MongoStore(own_ferretdb.url, "down", timeout_ms=300)
    await s.ping()
    crash(own_ferretdb)
    with pytest.raises(StoreUnavailable):
        await s.get_task(new_id(), new_id())
    await s.close()
