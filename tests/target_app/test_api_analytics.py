"""Analytics: counts by status, overdue, completion rate."""

from __future__ import annotations


async def test_a_user_without_tasks_has_zeros(api, alice):
    response = await api.get("/analytics", headers=alice.headers)
    assert response.json() == {"counts": {"todo": 0, "in_progress": 0, "done": 0}, "total": 0, "overdue": 0,
                               "completion_rate": 0.0}


async def test_analytics_count_by_status_overdue_and_completion(api, alice):
    past, future = "2001-01-01T00:00:00Z", "2999-01-01T00:00:00Z"
    for body in ({"status": "todo", "dueDate": past}, {"status": "in_progress", "dueDate": past},
                 {"status": "done", "dueDate": past}, {"status": "done"},
                 {"status": "todo", "dueDate": future}):
        await api.post("/tasks", json={"title": "t"} | body, headers=alice.headers)
    response = await api.get("/analytics", headers=alice.headers)
    assert response.json() == {"counts": {"todo": 2, "in_progress": 1, "done": 2}, "total": 5, "overdue": 2,
                               "completion_rate": 0.4}


async def test_seeded_tasks_are_counted(api, take_user):
    from taskapi_helpers import seed_users

    [user] = await seed_users(api, 1, tasks_per_user=6)
    response = await api.get("/analytics", headers=user.headers)
    assert response.json()["counts"] == {"todo": 2, "in_progress": 2, "done": 2}
