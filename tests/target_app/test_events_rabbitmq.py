"""Events on RabbitMQ: the API publishes with confirms, ``loadgate serve-worker`` consumes, the SMTP
sink receives; retries, dead letters, the backlog metrics and a broker outage, all on real servers."""

from __future__ import annotations

import uuid

import aio_pika
import httpx
import pytest
from events_helpers import emails_to, start_worker, stop_worker, wait_for
from taskapi_helpers import metric, running, seed_users, settings

from loadgate.paths import free_port


def stack_env(rabbitmq: str, mongodb: str, redis: str, smtp: str, **extra: str) -> dict[str, str]:
    """What the API and its worker share: the broker, a database of their own, Redis, SMTP."""
    return {"AMQP_URL": rabbitmq, "MONGODB_URL": mongodb, "MONGODB_DB": f"events_{uuid.uuid4().hex[:8]}",
            "REDIS_URL": redis, "SMTP_URL": smtp, "WORKER_RETRY_BASE_SECONDS": "0.05",
            "QUEUE_STATS_SECONDS": "0.2", "OUTBOX_DRAIN_SECONDS": "0.2", **extra}


async def new_task(client: httpx.AsyncClient, user, **fields) -> dict:
    response = await client.post("/tasks", headers=user.headers, json={"title": "ship it", **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def dead_letters(url: str, queue: str) -> int:
    """Messages in ``queue``'s dead-letter queue, read from the broker itself."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        return (await channel.declare_queue(f"{queue}.dead", passive=True)).declaration_result.message_count


@pytest.fixture(scope="module")
async def stack(rabbitmq_url, mongodb_url, redis_url, smtp_sink):
    """The API (in-process) and one worker process on the session's RabbitMQ, FerretDB and Redis."""
    env = stack_env(rabbitmq_url, mongodb_url, redis_url, smtp_sink.url)
    async with running(settings(**env)) as client:
        worker = start_worker(**env)
        client.worker = worker
        yield client
        output = stop_worker(worker)
        assert worker.returncode == 0, output


async def test_health_says_events_run_on_rabbitmq(stack):
    assert (await stack.get("/health")).json()["queue"] == "rabbitmq"


async def test_completing_a_task_emails_its_owner_through_the_worker(stack, smtp_sink):
    confirmed = await metric(stack, "taskapi_events_confirmed_total", event="task.completed")
    [user] = await seed_users(stack, 1)
    task = await new_task(stack, user)
    response = await stack.patch(f"/tasks/{task['id']}", headers=user.headers, json={"status": "done"})
    assert response.status_code == 200
    assert await metric(stack, "taskapi_events_confirmed_total", event="task.completed") == confirmed + 1
    [email] = await wait_for(lambda: emails_to(smtp_sink, user.email), "the worker's email")
    assert email["Subject"] == "Task completed: ship it"
    assert email["Message-ID"] == f"<task-completed-{task['id']}@taskapi>"


async def test_a_poison_message_is_dead_lettered_by_the_worker(stack, rabbitmq_url):
    before = await dead_letters(rabbitmq_url, "taskapi.activity")
    async with await aio_pika.connect(rabbitmq_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("taskapi.events")
        await exchange.publish(aio_pika.Message(b"\x00 not an event", delivery_mode=2),
                               routing_key="profile.changed")

    async def dead_lettered():
        return await dead_letters(rabbitmq_url, "taskapi.activity") == before + 1
    await wait_for(dead_lettered, "the poison message in taskapi.activity.dead")


async def test_serve_worker_without_a_broker_url_is_a_usage_error():
    worker = start_worker()
    output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 2
    assert output.strip() == ("loadgate serve-worker: AMQP_URL: not set; the worker consumes RabbitMQ "
                              "(without it the API handles its events itself)")


async def test_an_email_the_smtp_server_refuses_is_retried_then_dead_lettered(own_rabbitmq, mongodb_url,
                                                                               redis_url):
    env = stack_env(own_rabbitmq.url, mongodb_url, redis_url, f"smtp://127.0.0.1:{free_port()}",
                    WORKER_MAX_ATTEMPTS="3")
    async with running(settings(**env)) as client:
        worker = start_worker(**env, WORKER_METRICS_PORT=str(metrics_port := free_port()))
        try:
            [user] = await seed_users(client, 1)
            await new_task(client, user, status="done")

            async def dead_lettered():
                return await dead_letters(own_rabbitmq.url, "taskapi.email") == 1
            await wait_for(dead_lettered, "the refused email in taskapi.email.dead")
            text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        finally:
            stop_worker(worker)
    assert 'taskapi_events_failed_total{queue="taskapi.email"} 3.0' in text
    assert 'taskapi_events_retried_total{queue="taskapi.email"} 2.0' in text


async def test_without_a_worker_the_backlog_shows_in_the_api_metrics(own_rabbitmq, mongodb_url, redis_url,
                                                                    smtp_sink):
    env = stack_env(own_rabbitmq.url, mongodb_url, redis_url, smtp_sink.url)
    async with running(settings(**env)) as client:
        [user] = await seed_users(client, 1)
        for _ in range(5):
            await new_task(client, user, status="done")

        async def backlog():
            return await metric(client, "taskapi_queue_depth", queue="taskapi.email") == 5
        await wait_for(backlog, "a depth of 5 in taskapi.email")
        assert await metric(client, "taskapi_queue_oldest_message_age_seconds", queue="taskapi.email") > 0


async def test_with_the_broker_down_the_api_answers_and_nothing_acknowledged_is_lost(
        own_rabbitmq, mongodb_url, redis_url, smtp_sink):
    env = stack_env(own_rabbitmq.url, mongodb_url, redis_url, smtp_sink.url, AMQP_TIMEOUT_MS="500")
    async with running(settings(**env)) as client:
        [user] = await seed_users(client, 1)
        await new_task(client, user, status="done")
        outboxed = await metric(client, "taskapi_events_outboxed_total", event="task.completed")
        lost = await metric(client, "taskapi_events_lost_total")
        own_rabbitmq.kill()
        for _ in range(4):  # answered while the broker is down: kept in the store's outbox
            await new_task(client, user, status="done")
        assert await metric(client, "taskapi_events_outboxed_total", event="task.completed") == outboxed + 4
        own_rabbitmq.restart()
        worker = start_worker(**env)
        try:
            await wait_for(lambda: len(emails_to(smtp_sink, user.email)) == 5, "all 5 emails", timeout=60)

            async def outbox_empty():
                await client.app.state.services.events.stats()
                return await metric(client, "taskapi_outbox_depth") == 0
            await wait_for(outbox_empty, "the outbox to drain")
        finally:
            stop_worker(worker)
        assert await metric(client, "taskapi_events_lost_total") == lost
