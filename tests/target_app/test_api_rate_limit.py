"""Rate limiting: per user, per IP when anonymous, 429 with Retry-After past the limit."""

from __future__ import annotations

import uuid

import pytest
from taskapi_helpers import metric, running, seed_users, settings


@pytest.fixture(scope="module")
async def limited(redis_url, mongodb_url):
    """The API with a limit of 3 requests a minute, on the session's Redis and FerretDB."""
    config = settings(MONGODB_URL=mongodb_url, MONGODB_DB=f"limited_{uuid.uuid4().hex[:8]}",
                      REDIS_URL=redis_url, RATE_LIMIT="3/minute")
    async with running(config) as client:
        yield client


@pytest.fixture(scope="module")
async def limited_users(limited):
    return await seed_users(limited, 6)


async def test_the_request_past_the_limit_is_429_with_retry_after(limited, limited_users):
    user = limited_users.pop()
    statuses = [(await limited.get("/tasks", headers=user.headers)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_a_429_is_a_problem_with_retry_after_in_seconds(limited, limited_users):
    user = limited_users.pop()
    for _ in range(3):
        await limited.get("/tasks", headers=user.headers)
    response = await limited.get("/tasks", headers=user.headers)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:taskapi:problem:rate-limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_the_limit_is_per_user(limited, limited_users):
    busy, other = limited_users.pop(), limited_users.pop()
    for _ in range(4):
        await limited.get("/tasks", headers=busy.headers)
    assert (await limited.get("/tasks", headers=other.headers)).status_code == 200


async def test_anonymous_requests_are_limited_per_ip(redis_url, mongodb_url):
    config = settings(MONGODB_URL=mongodb_url, MONGODB_DB="limited_ip", REDIS_URL=redis_url,
                      RATE_LIMIT="2/minute")
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    async with running(config, client_ip=ip) as client:
        body = {"email": "nobody@example.org", "password": "x"}
        statuses = [(await client.post("/auth/login", json=body)).status_code for _ in range(3)]
        before = await metric(client, "taskapi_rate_limited_total", scope="ip")
        assert (await client.get("/tasks")).status_code == 429
        assert await metric(client, "taskapi_rate_limited_total", scope="ip") == before + 1
    assert statuses == [401, 401, 429]


async def test_rejections_are_counted_per_scope(limited, limited_users):
    user = limited_users.pop()
    before = await metric(limited, "taskapi_rate_limited_total", scope="user")
    for _ in range(5):
        await limited.get("/tasks", headers=user.headers)
    assert await metric(limited, "taskapi_rate_limited_total", scope="user") == before + 2


async def test_health_and_metrics_are_never_limited(limited):
    statuses = {(await limited.get(path)).status_code for path in ["/health", "/metrics"] * 4}
    assert statuses == {200}


async def test_with_rate_limit_zero_nothing_is_limited(api, alice):
    """The session app runs with RATE_LIMIT=0, as load runs do."""
    statuses = {(await api.get("/tasks", headers=alice.headers)).status_code for _ in range(10)}
    assert statuses == {200}
