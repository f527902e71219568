"""Liveness, readiness, Prometheus metrics, request ids and JSON logs."""

from __future__ import annotations

import json
import logging

import pytest
from taskapi_helpers import metric, running, sample, settings

from target_app import draining
from target_app.logs import JsonFormatter, logger

LATENCY = "taskapi_http_request_duration_seconds"


async def test_health_names_the_store_and_cache(api):
    response = await api.get("/health")
    assert response.json() == {"status": "ok", "store": "mongodb", "cache": "redis", "queue": "memory"}


async def test_ready_is_200_when_store_and_cache_answer(api):
    response = await api.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "store": "ok", "cache": "ok"}


async def test_a_draining_process_is_unready_and_closes_each_connection(api, monkeypatch):
    monkeypatch.setattr(draining, "_draining", True)
    response = await api.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "store": "ok", "cache": "ok", "draining": True}
    health = await api.get("/health")
    assert health.status_code == 200 and health.headers["connection"] == "close"


@pytest.fixture
async def embedded(tmp_path, monkeypatch):
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    async with running(settings(SQLITE_PATH=str(tmp_path / "api.sqlite3"), LOG_LEVEL="INFO")) as client:
        yield client


async def test_on_embedded_defaults_health_says_sqlite_and_memory(embedded):
    assert (await embedded.get("/health")).json() == {"status": "ok", "store": "sqlite", "cache": "memory",
                                                "queue": "memory"}


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def logs():
    handler = Captured()
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


async def test_start_up_says_when_it_runs_on_embedded_defaults(tmp_path, logs):
    async with running(settings(SQLITE_PATH=str(tmp_path / "api.sqlite3"), LOG_LEVEL="INFO",
                                MONGODB_URL=None, REDIS_URL=None)):
        pass
    [line] = [entry for entry in logs if entry["msg"].startswith("taskapi starting")]
    assert "embedded defaults" in line["msg"]
    assert (line["level"], line["store"], line["cache"]) == ("INFO", "sqlite", "memory")


async def test_embedded_defaults_serve_the_whole_api(embedded):
    from taskapi_helpers import seed_users

    [user] = await seed_users(embedded, 1, tasks_per_user=3)
    created = await embedded.post("/tasks", json={"title": "on sqlite"}, headers=user.headers)
    listed = (await embedded.get("/tasks", headers=user.headers)).json()["items"]
    assert [t["id"] for t in listed][0] == created.json()["id"]
    assert len(listed) == 4


async def test_logs_are_json_lines_with_level_and_request_id(api, alice, logs):
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        await api.get("/tasks", headers=alice.headers | {"X-Request-ID": "trace-me-42"})
    finally:
        logger.setLevel(previous)
    [line] = [entry for entry in logs if entry.get("request_id") == "trace-me-42"]
    assert (line["level"], line["msg"], line["route"], line["status"]) == ("DEBUG", "request", "/tasks", 200)


async def test_a_failed_request_is_logged_as_a_warning(on_dead_store_logs):
    line = on_dead_store_logs
    assert (line["level"], line["status"]) == ("WARN", 503)


@pytest.fixture
async def on_dead_store_logs(own_ferretdb, logs):
    from taskapi_helpers import crash, seed_users

    async with running(settings(MONGODB_URL=own_ferretdb.url, STORE_TIMEOUT_MS=300)) as client:
        [user] = await seed_users(client, 1)
        crash(own_ferretdb)
        await client.get("/tasks", headers=user.headers)
    return next(entry for entry in logs if entry["msg"] == "request failed")


async def test_the_request_id_sent_is_echoed(api):
    response = await api.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_a_request_id_is_made_when_none_is_sent(api):
    first, second = (await api.get("/health")).headers, (await api.get("/health")).headers
    assert len(first["x-request-id"]) == 32
    assert first["x-request-id"] != second["x-request-id"]


async def test_an_unsafe_request_id_is_replaced(api):
    response = await api.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"


async def test_problems_carry_the_request_id(api):
    response = await api.get("/tasks", headers={"X-Request-ID": "problem-7"})
    assert response.json()["request_id"] == "problem-7"


async def test_an_unknown_path_is_a_404_problem(api):
    response = await api.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_expose_every_contract_family(api, alice):
    await api.get("/tasks", headers=alice.headers)
    text = (await api.get("/metrics")).text
    for name in (f"{LATENCY}_bucket", "taskapi_cache_requests_total",
                 "taskapi_store_operation_duration_seconds_count", "taskapi_circuit_breaker_state"):
        assert sample(text, name) > 0 or name == "taskapi_circuit_breaker_state", name
    assert "# TYPE taskapi_rate_limited_total counter" in text
    assert 'taskapi_circuit_breaker_state{breaker="store"}' in text


async def test_latency_is_labelled_by_route_template_method_and_status(api, alice):
    labels = {"method": "GET", "route": "/tasks/{id}", "status": "404"}
    before = await metric(api, f"{LATENCY}_count", **labels)
    await api.get("/tasks/65f0c0ffee0000000000abcd", headers=alice.headers)
    assert await metric(api, f"{LATENCY}_count", **labels) == before + 1


async def test_unknown_paths_are_labelled_unmatched(api):
    before = await metric(api, f"{LATENCY}_count", route="unmatched")
    await api.get("/no/such/path/12345")
    assert await metric(api, f"{LATENCY}_count", route="unmatched") == before + 1


async def test_store_operations_are_timed_by_name(api, alice):
    name = "taskapi_store_operation_duration_seconds_count"
    before = await metric(api, name, operation="create_task")
    await api.post("/tasks", json={"title": "timed"}, headers=alice.headers)
    assert await metric(api, name, operation="create_task") == before + 1
