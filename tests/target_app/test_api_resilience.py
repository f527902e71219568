"""Outages: with Redis down the API answers from the store; with the store down it fails fast
with a 503 problem, reports itself unready, and recovers by itself when the store is back."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from taskapi_helpers import crash, events_handled, metric, running, seed_users, settings

CACHE = "taskapi_cache_requests_total"


@pytest.fixture
async def on_own_redis(own_redis, mongodb_url):
    """The API on a Redis of this test's own (which it may kill) and the session's FerretDB."""
    config = settings(MONGODB_URL=mongodb_url, MONGODB_DB=f"redis_down_{uuid.uuid4().hex[:8]}",
                      REDIS_URL=own_redis.url, CACHE_TIMEOUT_MS=300)
    async with running(config) as client:
        [user] = await seed_users(client, 1)
        task = (await client.post("/tasks", json={"title": "before"}, headers=user.headers)).json()
        for _ in range(2):  # warm: a miss, then a hit
            await client.get("/tasks", headers=user.headers)
        await events_handled(client)  # the analytics recompute after the POST uses the cache too
        yield client, user, task


async def test_with_redis_down_reads_are_answered_from_the_store(on_own_redis, own_redis):
    client, user, task = on_own_redis
    own_redis.kill()
    for _ in range(5):  # errors first, then bypasses once the breaker opens
        response = await client.get("/tasks", headers=user.headers)
        assert response.status_code == 200
        assert [t["id"] for t in response.json()["items"]] == [task["id"]]


async def test_with_redis_down_writes_succeed_and_are_read_back(on_own_redis, own_redis):
    client, user, task = on_own_redis
    own_redis.kill()
    created = await client.post("/tasks", json={"title": "during"}, headers=user.headers)
    patched = await client.patch(f"/tasks/{task['id']}", json={"status": "done"}, headers=user.headers)
    assert (created.status_code, patched.status_code) == (201, 200)
    listed = (await client.get("/tasks", headers=user.headers)).json()["items"]
    assert [(t["title"], t["status"]) for t in listed] == [("during", "todo"), ("before", "done")]


async def test_with_redis_down_lookups_count_as_errors_then_bypasses(on_own_redis, own_redis):
    client, user, _ = on_own_redis
    errors = await metric(client, CACHE, cache="task_list", result="error")
    bypasses = await metric(client, CACHE, cache="task_list", result="bypass")
    own_redis.kill()
    for _ in range(5):
        await client.get("/tasks", headers=user.headers)
    assert await metric(client, CACHE, cache="task_list", result="error") == errors + 3  # BREAKER_FAILURES
    assert await metric(client, CACHE, cache="task_list", result="bypass") == bypasses + 2


async def test_with_redis_down_the_cache_breaker_shows_open(on_own_redis, own_redis):
    client, user, _ = on_own_redis
    assert await metric(client, "taskapi_circuit_breaker_state", breaker="cache") == 0
    own_redis.kill()
    for _ in range(3):
        await client.get("/tasks", headers=user.headers)
    assert await metric(client, "taskapi_circuit_breaker_state", breaker="cache") == 2


async def test_with_redis_down_the_api_stays_ready(on_own_redis, own_redis):
    client, _, _ = on_own_redis
    own_redis.kill()
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "store": "ok", "cache": "unreachable"}


async def test_when_redis_returns_the_cache_is_used_again(on_own_redis, own_redis):
    client, user, _ = on_own_redis
    own_redis.kill()
    for _ in range(3):
        await client.get("/tasks", headers=user.headers)
    own_redis.restart()
    await asyncio.sleep(0.6)  # BREAKER_RESET_SECONDS
    await client.get("/tasks", headers=user.headers)  # the probe: closes the breaker, fills the cache
    hits = await metric(client, CACHE, cache="task_list", result="hit")
    await client.get("/tasks", headers=user.headers)
    assert await metric(client, CACHE, cache="task_list", result="hit") == hits + 1


@pytest.fixture
async def on_own_ferretdb(own_ferretdb):
    """The API on a FerretDB of this test's own (which it may kill), in-process cache."""
    config = settings(MONGODB_URL=own_ferretdb.url, STORE_TIMEOUT_MS=500, BREAKER_RESET_SECONDS=1.0)
    async with running(config) as client:
        [user] = await seed_users(client, 1)
        yield client, user


async def open_store_breaker(client, user) -> None:
    for _ in range(3):  # BREAKER_FAILURES requests that each wait for the store's timeout
        await client.post("/tasks", json={"title": "lost"}, headers=user.headers)


async def test_with_the_store_down_a_request_is_a_503_problem(on_own_ferretdb, own_ferretdb):
    client, user = on_own_ferretdb
    crash(own_ferretdb)
    response = await client.post("/tasks", json={"title": "lost"}, headers=user.headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:taskapi:problem:store-unavailable"
    assert int(response.headers["retry-after"]) >= 1


async def test_a_503_says_the_write_may_have_been_applied(on_own_ferretdb, own_ferretdb):
    """A store timeout does not undo what the store may already have done (docs/api.md)."""
    client, user = on_own_ferretdb
    crash(own_ferretdb)
    response = await client.delete("/tasks/65f0c0ffee0000000000abcd", headers=user.headers)
    assert response.status_code == 503
    assert "may or may not have been carried out" in response.json()["detail"]


async def test_once_the_store_breaker_opens_503s_are_immediate(on_own_ferretdb, own_ferretdb):
    client, user = on_own_ferretdb
    crash(own_ferretdb)
    await open_store_breaker(client, user)
    start = time.perf_counter()
    response = await client.get("/tasks/65f0c0ffee0000000000abcd", headers=user.headers)
    assert response.status_code == 503
    assert time.perf_counter() - start < 0.05


async def test_with_the_store_down_ready_is_false(on_own_ferretdb, own_ferretdb):
    client, _ = on_own_ferretdb
    crash(own_ferretdb)
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["ready"] is False
    assert response.json()["store"] == "unreachable"


async def test_with_the_store_down_the_store_breaker_shows_open(on_own_ferretdb, own_ferretdb):
    client, user = on_own_ferretdb
    crash(own_ferretdb)
    await open_store_breaker(client, user)
    assert await metric(client, "taskapi_circuit_breaker_state", breaker="store") == 2


async def test_when_the_store_returns_service_resumes_by_itself(on_own_ferretdb, own_ferretdb):
    client, user = on_own_ferretdb
    crash(own_ferretdb)
    await open_store_breaker(client, user)
    own_ferretdb.restart()
    deadline = time.monotonic() + 15
    while (await client.get("/ready")).status_code != 200:
        assert time.monotonic() < deadline, "/ready did not recover within 15 s of the store's return"
        await asyncio.sleep(0.2)
    created = await client.post("/tasks", json={"title": "after"}, headers=user.headers)
    assert created.status_code == 201
    assert (await client.get(f"/tasks/{created.json()['id']}", headers=user.headers)).status_code == 200


async def test_the_api_starts_while_the_store_is_down_and_says_it_is_not_ready():
    from testsupport.servers import free_port

    config = settings(MONGODB_URL=f"mongodb://127.0.0.1:{free_port()}/", STORE_TIMEOUT_MS=300)
    async with running(config) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/ready")).status_code == 503
