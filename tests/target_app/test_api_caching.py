"""Caching: reads are served from Redis, and every kind of write makes what it changed stale."""

from __future__ import annotations

from taskapi_helpers import metric

CACHE = "taskapi_cache_requests_total"


async def hits(api, cache: str) -> float:
    return await metric(api, CACHE, cache=cache, result="hit")


async def create(api, user, **fields) -> dict:
    return (await api.post("/tasks", json={"title": "cached"} | fields, headers=user.headers)).json()


async def test_a_repeated_list_read_is_a_cache_hit(api, alice):
    await create(api, alice)
    await api.get("/tasks", headers=alice.headers)
    before = await hits(api, "task_list")
    await api.get("/tasks", headers=alice.headers)
    assert await hits(api, "task_list") == before + 1


async def test_a_repeated_task_read_is_a_cache_hit(api, alice):
    task = await create(api, alice)
    await api.get(f"/tasks/{task['id']}", headers=alice.headers)
    before = await hits(api, "task")
    await api.get(f"/tasks/{task['id']}", headers=alice.headers)
    assert await hits(api, "task") == before + 1


async def test_a_hit_answers_the_same_bytes_as_the_miss(api, alice):
    await create(api, alice, dueDate="2030-01-01T00:00:00.5Z")
    miss = await api.get("/tasks", headers=alice.headers)
    hit = await api.get("/tasks", headers=alice.headers)
    assert hit.content == miss.content


async def test_lookups_are_labelled_with_the_route_template(api, alice):
    task = await create(api, alice)
    before = await metric(api, CACHE, cache="task", route="/tasks/{id}", method="GET")
    await api.get(f"/tasks/{task['id']}", headers=alice.headers)
    assert await metric(api, CACHE, cache="task", route="/tasks/{id}", method="GET") == before + 1


async def test_creating_a_task_makes_cached_lists_stale(api, alice):
    await api.get("/tasks", headers=alice.headers)
    task = await create(api, alice)
    listed = (await api.get("/tasks", headers=alice.headers)).json()["items"]
    assert [t["id"] for t in listed] == [task["id"]]


async def test_creating_a_task_makes_cached_filtered_and_projected_lists_stale(api, alice):
    params = {"status": "todo", "fields": "title", "limit": 5}
    await api.get("/tasks", params=params, headers=alice.headers)
    task = await create(api, alice)
    listed = (await api.get("/tasks", params=params, headers=alice.headers)).json()["items"]
    assert listed == [{"id": task["id"], "title": "cached"}]


async def test_updating_a_task_makes_the_cached_task_stale(api, alice):
    task = await create(api, alice)
    await api.get(f"/tasks/{task['id']}", headers=alice.headers)
    await api.patch(f"/tasks/{task['id']}", json={"title": "renamed"}, headers=alice.headers)
    assert (await api.get(f"/tasks/{task['id']}", headers=alice.headers)).json()["title"] == "renamed"


async def test_updating_a_task_makes_cached_lists_stale(api, alice):
    task = await create(api, alice)
    await api.get("/tasks", headers=alice.headers)
    await api.patch(f"/tasks/{task['id']}", json={"status": "done"}, headers=alice.headers)
    listed = (await api.get("/tasks", headers=alice.headers)).json()["items"]
    assert listed[0]["status"] == "done"


async def test_deleting_a_task_makes_the_cached_task_stale(api, alice):
    task = await create(api, alice)
    await api.get(f"/tasks/{task['id']}", headers=alice.headers)
    await api.delete(f"/tasks/{task['id']}", headers=alice.headers)
    assert (await api.get(f"/tasks/{task['id']}", headers=alice.headers)).status_code == 404


async def test_deleting_a_task_makes_cached_lists_stale(api, alice):
    task = await create(api, alice)
    await api.get("/tasks", headers=alice.headers)
    await api.delete(f"/tasks/{task['id']}", headers=alice.headers)
    assert (await api.get("/tasks", headers=alice.headers)).json()["items"] == []


async def test_every_kind_of_task_write_makes_cached_analytics_stale(api, alice):
    async def total_done() -> tuple[int, int]:
        body = (await api.get("/analytics", headers=alice.headers)).json()
        return body["total"], body["counts"]["done"]

    assert await total_done() == (0, 0)
    task = await create(api, alice)
    assert await total_done() == (1, 0)
    await api.patch(f"/tasks/{task['id']}", json={"status": "done"}, headers=alice.headers)
    assert await total_done() == (1, 1)
    await api.delete(f"/tasks/{task['id']}", headers=alice.headers)
    assert await total_done() == (0, 0)


async def test_updating_the_profile_makes_the_cached_profile_stale(api, alice):
    await api.get("/users/me", headers=alice.headers)
    await api.patch("/users/me", json={"name": "Renamed"}, headers=alice.headers)
    assert (await api.get("/users/me", headers=alice.headers)).json()["name"] == "Renamed"


async def test_a_repeated_profile_read_is_a_cache_hit(api, alice):
    await api.get("/users/me", headers=alice.headers)
    before = await hits(api, "user")
    await api.get("/users/me", headers=alice.headers)
    assert await hits(api, "user") == before + 1


async def test_a_repeated_analytics_read_is_a_cache_hit(api, alice):
    await api.get("/analytics", headers=alice.headers)
    before = await hits(api, "analytics")
    await api.get("/analytics", headers=alice.headers)
    assert await hits(api, "analytics") == before + 1


async def test_one_users_write_leaves_another_users_cache_warm(api, alice, bob):
    await api.get("/tasks", headers=bob.headers)
    await create(api, alice)
    before = await hits(api, "task_list")
    await api.get("/tasks", headers=bob.headers)
    assert await hits(api, "task_list") == before + 1


async def test_a_list_miss_is_looked_up_once(api, alice):
    before = await metric(api, CACHE, cache="task_list", result="miss")
    await api.get("/tasks", params={"limit": 7}, headers=alice.headers)
    assert await metric(api, CACHE, cache="task_list", result="miss") == before + 1


async def test_a_list_hit_is_labelled_with_the_list_route(api, alice):
    await api.get("/tasks", headers=alice.headers)
    labels = {"method": "GET", "route": "/tasks", "status": "200"}
    requests = await metric(api, "taskapi_http_request_duration_seconds_count", **labels)
    lookups = await metric(api, CACHE, cache="task_list", route="/tasks", result="hit")
    await api.get("/tasks", headers=alice.headers)
    assert await metric(api, "taskapi_http_request_duration_seconds_count", **labels) == requests + 1
    assert await metric(api, CACHE, cache="task_list", route="/tasks", result="hit") == lookups + 1


async def test_a_list_hit_carries_json_content_type_and_request_id(api, alice):
    await api.get("/tasks", headers=alice.headers)
    response = await api.get("/tasks", headers=alice.headers | {"X-Request-ID": "hit-1"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "hit-1"


async def test_a_cached_list_is_not_served_for_a_tampered_token(api, alice):
    await api.get("/tasks", headers=alice.headers)
    header = alice.headers["Authorization"]
    i = header.rindex(".") + 5  # a character inside the signature
    tampered = header[:i] + ("A" if header[i] != "A" else "B") + header[i + 1:]
    assert (await api.get("/tasks", headers={"Authorization": tampered})).status_code == 401


async def test_differently_spelled_queries_give_the_same_page(api, alice):
    await create(api, alice)
    await create(api, alice)
    one = await api.get("/tasks?limit=1&status=todo", headers=alice.headers)
    other = await api.get("/tasks?status=todo&limit=1", headers=alice.headers)
    assert one.json() == other.json()
