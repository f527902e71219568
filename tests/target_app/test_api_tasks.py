"""Tasks through HTTP: create, read, list, partial update, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


async def create(api, user, **fields) -> dict:
    response = await api.post("/tasks", json={"title": "A task"} | fields, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def test_create_answers_201_with_the_task_and_its_defaults(api, alice):
    task = await create(api, alice, title="Buy milk")
    assert task | {"id": "", "createdAt": "", "updatedAt": ""} == {
        "id": "", "userId": alice.id, "title": "Buy milk", "description": "", "status": "todo",
        "priority": "medium", "dueDate": None, "createdAt": "", "updatedAt": ""}
    assert task["createdAt"] == task["updatedAt"]


async def test_a_due_date_without_a_zone_is_taken_as_utc(api, alice):
    task = await create(api, alice, dueDate="2031-02-03T04:05:06")
    assert task["dueDate"] == "2031-02-03T04:05:06Z"


async def test_a_created_task_can_be_read_back(api, alice):
    task = await create(api, alice, description="details", priority="high", status="in_progress")
    response = await api.get(f"/tasks/{task['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == task


@pytest.mark.parametrize("task_id", ["65f0c0ffee0000000000abcd", "not-an-id"])
async def test_reading_a_task_that_does_not_exist_is_404(api, alice, task_id):
    response = await api.get(f"/tasks/{task_id}", headers=alice.headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "ok", "status": "finished"}, "status"),
    ({"title": "ok", "priority": 3}, "priority"),
    ({"title": "ok", "dueDate": "tomorrow"}, "dueDate"),
    ({"title": "ok", "userId": "65f0c0ffee0000000000abcd"}, "userId"),
])
async def test_an_invalid_task_is_422_naming_the_field(api, alice, body, field):
    response = await api.post("/tasks", json=body, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_patch_changes_only_the_fields_sent(api, alice):
    task = await create(api, alice, description="keep me")
    response = await api.patch(f"/tasks/{task['id']}", json={"status": "done"}, headers=alice.headers)
    assert response.status_code == 200
    updated = response.json()
    assert updated | {"updatedAt": ""} == task | {"status": "done", "updatedAt": ""}
    assert updated["updatedAt"] >= task["updatedAt"]


async def test_patch_with_a_null_due_date_clears_it(api, alice):
    task = await create(api, alice, dueDate="2031-01-01T00:00:00Z")
    response = await api.patch(f"/tasks/{task['id']}", json={"dueDate": None}, headers=alice.headers)
    assert response.json()["dueDate"] is None


async def test_patch_with_a_null_title_is_422_naming_title(api, alice):
    task = await create(api, alice)
    response = await api.patch(f"/tasks/{task['id']}", json={"title": None}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["title"]


async def test_an_empty_patch_changes_nothing(api, alice):
    task = await create(api, alice)
    response = await api.patch(f"/tasks/{task['id']}", json={}, headers=alice.headers)
    assert response.json() == task


async def test_patching_a_missing_task_is_404(api, alice):
    response = await api.patch("/tasks/65f0c0ffee0000000000abcd", json={"title": "x"}, headers=alice.headers)
    assert response.status_code == 404


async def test_delete_answers_204_and_the_task_is_gone(api, alice):
    task = await create(api, alice)
    response = await api.delete(f"/tasks/{task['id']}", headers=alice.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert (await api.get(f"/tasks/{task['id']}", headers=alice.headers)).status_code == 404
    assert (await api.delete(f"/tasks/{task['id']}", headers=alice.headers)).status_code == 404


async def test_the_list_is_newest_first(api, alice):
    ids = [(await create(api, alice, title=f"t{i}"))["id"] for i in range(3)]
    response = await api.get("/tasks", headers=alice.headers)
    assert [t["id"] for t in response.json()["items"]] == ids[::-1]


async def test_pages_follow_the_cursor_through_every_task_once(api, alice):
    ids = [(await create(api, alice, title=f"t{i}"))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/tasks", params=params, headers=alice.headers)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]


async def test_the_last_page_has_no_next_cursor(api, alice):
    await create(api, alice)
    page = (await api.get("/tasks", params={"limit": 1}, headers=alice.headers)).json()
    assert page["next_cursor"] is None


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 101}, "limit"),
    ({"limit": 0}, "limit"),
    ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
    ({"cursor": "!!!"}, "cursor"),
    ({"fields": "title,password"}, "fields"),
    ({"status": "finished"}, "status"),
    ({"due_before": "soon"}, "due_before"),
])
async def test_invalid_list_parameters_are_422_naming_the_parameter(api, alice, params, field):
    response = await api.get("/tasks", params=params, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_the_list_filters_by_status(api, alice):
    done = await create(api, alice, status="done")
    await create(api, alice, status="todo")
    items = (await api.get("/tasks", params={"status": "done"}, headers=alice.headers)).json()["items"]
    assert [t["id"] for t in items] == [done["id"]]


async def test_the_list_filters_by_due_date_window(api, alice):
    day = datetime(2032, 6, 1, tzinfo=UTC)
    early = await create(api, alice, dueDate=iso(day - timedelta(days=1)))
    on_day = await create(api, alice, dueDate=iso(day))
    await create(api, alice, dueDate=iso(day + timedelta(days=1)))
    before = (await api.get("/tasks", params={"due_before": iso(day)}, headers=alice.headers)).json()["items"]
    window_params = {"due_after": iso(day), "due_before": iso(day + timedelta(hours=1))}
    window = (await api.get("/tasks", params=window_params, headers=alice.headers)).json()["items"]
    assert [t["id"] for t in before] == [early["id"]]
    assert [t["id"] for t in window] == [on_day["id"]]


async def test_fields_returns_only_the_fields_asked_and_the_id(api, alice):
    await create(api, alice, title="projected")
    response = await api.get("/tasks", params={"fields": "title,status"}, headers=alice.headers)
    items = response.json()["items"]
    assert items[0].keys() == {"id", "title", "status"}
    assert items[0]["title"] == "projected"


async def test_projected_pages_still_follow_the_cursor(api, alice):
    ids = [(await create(api, alice))["id"] for _ in range(3)]
    first = (await api.get("/tasks", params={"fields": "title", "limit": 2}, headers=alice.headers)).json()
    second = (await api.get("/tasks", params={"fields": "title", "limit": 2, "cursor": first["next_cursor"]},
                            headers=alice.headers)).json()
    assert [t["id"] for t in first["items"] + second["items"]] == ids[::-1]


async def test_a_body_that_is_not_json_is_422_naming_the_body(api, alice):
    response = await api.post("/tasks", content=b'{"title": ', headers=alice.headers | {
        "content-type": "application/json"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body"]


# Times whose UTC equivalent falls outside years 1-9999: parsed fine, but not representable in UTC.
UNREPRESENTABLE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("due", UNREPRESENTABLE)
async def test_a_due_date_outside_the_utc_range_is_422_naming_due_date(api, alice, due):
    response = await api.post("/tasks", json={"title": "edge", "dueDate": due}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["dueDate"]


@pytest.mark.parametrize("due", UNREPRESENTABLE)
async def test_patching_a_due_date_outside_the_utc_range_is_422_naming_due_date(api, alice, due):
    task = await create(api, alice)
    response = await api.patch(f"/tasks/{task['id']}", json={"dueDate": due}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["dueDate"]


@pytest.mark.parametrize("parameter", ["due_before", "due_after"])
@pytest.mark.parametrize("due", UNREPRESENTABLE)
async def test_a_due_filter_outside_the_utc_range_is_422_naming_the_parameter(api, alice, parameter, due):
    response = await api.get("/tasks", params={parameter: due}, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [parameter]


async def test_the_utc_range_edges_themselves_are_accepted(api, alice):
    first = await create(api, alice, dueDate="0001-01-01T00:00:00Z")
    last = await create(api, alice, dueDate="9999-12-31T23:59:59Z")
    assert (first["dueDate"], last["dueDate"]) == ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
