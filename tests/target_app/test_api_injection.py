"""Operator injection: query operators in JSON are refused, or stored as plain text."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("field", ["title", "description", "status", "priority", "dueDate"])
async def test_an_operator_object_in_a_task_field_is_422_naming_it(api, alice, field):
    body = {"title": "ok", field: {"$ne": None}}
    response = await api.post("/tasks", json=body, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("field", ["email", "password"])
async def test_an_operator_object_in_login_is_422_naming_it(api, field):
    body = {"email": "a@example.org", "password": "whatever"} | {field: {"$ne": None}}
    response = await api.post("/auth/login", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_where_clause_as_a_field_is_refused(api, alice):
    body = {"title": "ok", "$where": "this.userId != null"}
    response = await api.post("/tasks", json=body, headers=alice.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["$where"]


async def test_an_operator_in_a_patch_is_422(api, alice):
    task = (await api.post("/tasks", json={"title": "ok"}, headers=alice.headers)).json()
    response = await api.patch(f"/tasks/{task['id']}", json={"status": {"$gt": ""}}, headers=alice.headers)
    assert response.status_code == 422


async def test_operator_text_is_stored_and_returned_literally(api, alice):
    title = '{"$where": "sleep(1000)"} $ne'
    task = (await api.post("/tasks", json={"title": title}, headers=alice.headers)).json()
    assert (await api.get(f"/tasks/{task['id']}", headers=alice.headers)).json()["title"] == title


async def test_an_operator_in_a_query_parameter_is_422(api, alice):
    response = await api.get("/tasks", params={"status": '{"$ne": "done"}'}, headers=alice.headers)
    assert response.status_code == 422


async def test_bracketed_query_parameters_do_not_filter(api, alice):
    await api.post("/tasks", json={"title": "todo one"}, headers=alice.headers)
    response = await api.get("/tasks", params={"status[$ne]": "done"}, headers=alice.headers)
    assert [t["status"] for t in response.json()["items"]] == ["todo"]
