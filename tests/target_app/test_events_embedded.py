"""Events on the embedded in-process queue (no AMQP_URL): the API runs the worker's handlers itself."""

from __future__ import annotations

import httpx
import pytest
from events_helpers import emails_to, wait_for
from taskapi_helpers import metric, running, seed_users, settings

from loadgate.paths import free_port


@pytest.fixture
async def embedded(tmp_path, smtp_sink) -> httpx.AsyncClient:
    """The API on SQLite, the in-process cache and queue, mailing the test's SMTP sink."""
    config = settings(SQLITE_PATH=str(tmp_path / "events.sqlite3"), SMTP_URL=smtp_sink.url,
                      WORKER_RETRY_BASE_SECONDS=0.05, QUEUE_STATS_SECONDS=0.1)
    async with running(config) as client:
        yield client


def transport(client: httpx.AsyncClient):
    return client.app.state.services.events.transport


async def new_task(client: httpx.AsyncClient, user, **fields) -> dict:
    response = await client.post("/tasks", headers=user.headers, json={"title": "write the report", **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_health_says_events_run_on_the_in_process_queue(embedded):
    assert (await embedded.get("/health")).json()["queue"] == "memory"


async def test_completing_a_task_emails_its_owner_once(embedded, smtp_sink):
    [user] = await seed_users(embedded, 1)
    task = await new_task(embedded, user)
    for _ in range(2):  # done twice: completed once
        response = await embedded.patch(f"/tasks/{task['id']}", headers=user.headers, json={"status": "done"})
        assert response.status_code == 200
    await wait_for(lambda: transport(embedded).idle(), "the in-process queue to be handled")
    [email] = await wait_for(lambda: emails_to(smtp_sink, user.email), "the email")
    assert email["Subject"] == "Task completed: write the report"
    assert email["Message-ID"] == f"<task-completed-{task['id']}@taskapi>"


async def test_a_task_that_is_not_completed_sends_no_email(embedded, smtp_sink):
    [user] = await seed_users(embedded, 1)
    task = await new_task(embedded, user)
    await embedded.patch(f"/tasks/{task['id']}", headers=user.headers, json={"status": "in_progress"})
    await wait_for(lambda: transport(embedded).idle(), "the in-process queue to be handled")
    assert emails_to(smtp_sink, user.email) == []


async def test_analytics_after_a_write_are_computed_by_the_worker_not_the_request(embedded):
    [user] = await seed_users(embedded, 1)
    await new_task(embedded, user, status="done")
    await wait_for(lambda: transport(embedded).idle(), "the analytics recompute")
    hits = await metric(embedded, "taskapi_cache_requests_total", cache="analytics", result="hit")
    computed = await metric(embedded, "taskapi_store_operation_duration_seconds_count",
                            operation="task_stats")
    body = (await embedded.get("/analytics", headers=user.headers)).json()
    assert body["counts"]["done"] == 1 and body["total"] == 1
    assert await metric(embedded, "taskapi_cache_requests_total", cache="analytics", result="hit") == hits + 1
    assert await metric(embedded, "taskapi_store_operation_duration_seconds_count",
                        operation="task_stats") == computed


async def test_a_poison_message_is_dead_lettered_without_retry(embedded):
    before = await metric(embedded, "taskapi_events_dead_lettered_total", queue="taskapi.activity")
    retried = await metric(embedded, "taskapi_events_retried_total", queue="taskapi.activity")
    transport(embedded).publish_raw("taskapi.activity", b"{not an event")
    await wait_for(lambda: transport(embedded).idle(), "the poison message to be handled")
    assert list(transport(embedded).dead["taskapi.activity"])[-1] == b"{not an event"
    dead = await metric(embedded, "taskapi_events_dead_lettered_total", queue="taskapi.activity")
    assert dead == before + 1
    assert await metric(embedded, "taskapi_events_retried_total", queue="taskapi.activity") == retried


async def test_an_email_the_smtp_server_refuses_is_retried_then_dead_lettered(tmp_path):
    config = settings(SQLITE_PATH=str(tmp_path / "events.sqlite3"), SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
                      WORKER_RETRY_BASE_SECONDS=0.02, WORKER_MAX_ATTEMPTS=3)
    async with running(config) as client:
        dead = await metric(client, "taskapi_events_dead_lettered_total", queue="taskapi.email")
        failed = await metric(client, "taskapi_events_failed_total", queue="taskapi.email")
        [user] = await seed_users(client, 1)
        await new_task(client, user, status="done")
        await wait_for(lambda: len(transport(client).dead["taskapi.email"]) == 1, "the email to dead-letter")
        assert await metric(client, "taskapi_events_failed_total", queue="taskapi.email") == failed + 3
        assert await metric(client, "taskapi_events_dead_lettered_total", queue="taskapi.email") == dead + 1


async def test_queue_depth_and_age_are_in_the_api_metrics(embedded):
    async def reported():
        text = (await embedded.get("/metrics")).text
        return all(f'{name}{{queue="taskapi.email"}}' in text
                   for name in ("taskapi_queue_depth", "taskapi_queue_oldest_message_age_seconds"))
    await wait_for(reported, "queue depth and age in /metrics")
