"""The worker's RabbitMQ side: consume every work queue with manual acks, retry, dead-letter.

A message is acknowledged only after its work is done. A failed one is republished (confirmed)
to the delay queue of its attempt, which after its TTL dead-letters it back into the work queue,
and only then acknowledged; out of attempts, or poison, it is rejected without requeue and the
broker dead-letters it to ``<queue>.dead``. A worker that dies mid-message leaves it unacked, and
the broker delivers it again.

    await run_worker(settings, stop=asyncio.Event())
"""

from __future__ import annotations

import asyncio
from functools import partial

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from target_app.breaker import CircuitBreaker
from target_app.cache import make_cache
from target_app.caching import GuardedCache
from target_app.events.amqp import connect, declare_topology
from target_app.events.model import QUEUES
from target_app.logs import logger
from target_app.settings import Settings
from target_app.store import make_store
from target_app.store.guarded import GuardedStore
from target_app.worker.handlers import Handlers, Outcome, handle, retry_delay_ms, retry_delays_ms
from target_app.worker.mail import make_mailer

CONNECT_RETRY_SECONDS = 2.0


def build_handlers(settings: Settings) -> Handlers:
    """The handlers on their own store and cache connections, each behind a breaker."""
    store = GuardedStore(make_store(settings), CircuitBreaker(
        "store", failures=settings.BREAKER_FAILURES, reset_seconds=settings.BREAKER_RESET_SECONDS))
    cache = GuardedCache(make_cache(settings), CircuitBreaker(
        "cache", failures=settings.BREAKER_FAILURES, reset_seconds=settings.BREAKER_RESET_SECONDS))
    return Handlers(store, cache, make_mailer(settings), settings)


async def on_message(handlers: Handlers, channel: AbstractChannel, queue: str,
                     message: AbstractIncomingMessage) -> None:
    """Handle one delivery, then ack, retry or dead-letter it."""
    settings = handlers.settings
    raw = message.headers.get("x-attempt", 1)
    attempt = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else 1
    outcome = await handle(handlers, queue, message.body, attempt=attempt,
                           max_attempts=settings.WORKER_MAX_ATTEMPTS)
    if outcome is Outcome.DONE:
        await message.ack()
    elif outcome is Outcome.DEAD:
        await message.reject(requeue=False)  # the queue's dead-letter exchange takes it
    else:
        delay_queue = next(q for q in QUEUES if q.name == queue).retry(retry_delay_ms(settings, attempt))
        retry = aio_pika.Message(
            message.body, headers={**message.headers, "x-attempt": attempt + 1},
            content_type=message.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id, type=message.type, timestamp=message.timestamp,
            app_id=message.app_id)
        try:
            await channel.default_exchange.publish(retry, routing_key=delay_queue)
        except (*CONNECTION_EXCEPTIONS, TimeoutError):
            await message.nack(requeue=True)  # not parked: let the broker deliver it again
            return
        await message.ack()


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Consume until ``stop`` is set; then finish the messages in hand and close."""
    assert settings.AMQP_URL, "the worker needs AMQP_URL"
    handlers = build_handlers(settings)
    await handlers.store.inner.setup()
    while True:
        try:
            connection = await connect(settings.AMQP_URL, settings.AMQP_TIMEOUT_MS / 1000, "taskapi-worker")
            break
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            logger.error("broker unreachable; retrying", extra={"error": str(exc) or type(exc).__name__})
            if stop.is_set():
                return
            await asyncio.sleep(CONNECT_RETRY_SECONDS)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=settings.WORKER_PREFETCH)
        await declare_topology(channel, retry_delays_ms(settings))
        consumers = []
        for work in QUEUES:
            queue = await channel.get_queue(work.name)
            tag = await queue.consume(partial(on_message, handlers, channel, work.name), no_ack=False)
            consumers.append((queue, tag))
        logger.info("worker consuming", extra={"queues": [q.name for q in QUEUES],
                                               "mailer": handlers.mailer.kind, "cache": handlers.cache.kind,
                                               "prefetch": settings.WORKER_PREFETCH})
        await stop.wait()
        for queue, tag in consumers:
            await queue.cancel(tag)
    finally:
        await connection.close()
        await handlers.store.close()
        await handlers.cache.close()
