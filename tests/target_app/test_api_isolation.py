"""The isolation matrix: one user can never read, change, delete or count another's tasks."""

from __future__ import annotations

import pytest


@pytest.fixture
async def alices_task(api, alice) -> dict:
    response = await api.post("/tasks", json={"title": "Alice's secret", "dueDate": "2000-01-01T00:00:00Z"},
                              headers=alice.headers)
    return response.json()


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"title": "Bob was here"}),
                                              ("DELETE", None)])
async def test_another_users_task_is_404(api, bob, alices_task, method, body):
    response = await api.request(method, f"/tasks/{alices_task['id']}", json=body, headers=bob.headers)
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"title": "Bob was here"}), ("DELETE", None)])
async def test_another_users_attempts_leave_the_task_untouched(api, alice, bob, alices_task, method, body):
    await api.request(method, f"/tasks/{alices_task['id']}", json=body, headers=bob.headers)
    response = await api.get(f"/tasks/{alices_task['id']}", headers=alice.headers)
    assert response.json() == alices_task


async def test_another_users_tasks_are_not_listed(api, bob, alices_task):
    response = await api.get("/tasks", headers=bob.headers)
    assert response.json() == {"items": [], "next_cursor": None}


async def test_another_users_tasks_are_not_counted_in_analytics(api, bob, alices_task):
    response = await api.get("/analytics", headers=bob.headers)
    assert response.json()["total"] == 0
    assert response.json()["overdue"] == 0


async def test_a_cached_task_is_not_served_to_another_user(api, alice, bob, alices_task):
    await api.get(f"/tasks/{alices_task['id']}", headers=alice.headers)  # now cached
    assert (await api.get(f"/tasks/{alices_task['id']}", headers=bob.headers)).status_code == 404


async def test_a_cursor_from_another_user_shows_only_ones_own_tasks(api, alice, bob, alices_task):
    await api.post("/tasks", json={"title": "second"}, headers=alice.headers)
    cursor = (await api.get("/tasks", params={"limit": 1}, headers=alice.headers)).json()["next_cursor"]
    response = await api.get("/tasks", params={"cursor": cursor}, headers=bob.headers)
    assert response.json()["items"] == []
