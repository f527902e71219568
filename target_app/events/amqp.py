"""RabbitMQ through aio-pika: the topology, the API's publisher side and the queue statistics.

Durable exchanges and queues, persistent messages, publisher confirms: ``publish`` returns only
once the broker has the message, so an event the API answered for is on disk at the broker (or,
when this raises, written to the outbox by ``EventPublisher``).

    transport = AmqpTransport("amqp://guest:guest@127.0.0.1:5672/", timeout_s=2)
    await transport.start()          # connects in the background, retrying
    await transport.publish(event)   # raises TransportUnavailable when the broker cannot take it
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from target_app.events.model import (
    DEAD_EXCHANGE,
    EXCHANGE,
    QUEUES,
    Event,
    PoisonMessage,
    TransportUnavailable,
)
from target_app.logs import logger

CONNECT_RETRY_SECONDS = 2.0


def message_for(event: Event, headers: dict | None = None) -> aio_pika.Message:
    """The AMQP message carrying ``event``: persistent, its id and time as message properties."""
    return aio_pika.Message(
        event.to_bytes(), content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=event.id, type=event.type, app_id="taskapi", headers=headers or {},
        timestamp=datetime.fromtimestamp(event.occurred_ms / 1000, UTC))


async def declare_topology(channel: AbstractChannel, retry_delays_ms: Sequence[int] = ()) -> AbstractExchange:
    """Declare the exchanges, work queues, dead-letter queues and (for a worker) delay queues.

    Every work queue dead-letters to ``<queue>.dead`` under its own name, so a dead letter lands
    in the dead queue of the queue that gave up on it, not of every queue bound to its type. A
    delay queue holds a retry for its TTL, then dead-letters it back into its work queue.
    Idempotent: the API and every worker declare the same things.
    """
    exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    dead = await channel.declare_exchange(DEAD_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    for work in QUEUES:
        queue = await channel.declare_queue(work.name, durable=True, arguments={
            "x-dead-letter-exchange": DEAD_EXCHANGE, "x-dead-letter-routing-key": work.name})
        for pattern in work.bindings:
            await queue.bind(exchange, pattern)
        dead_queue = await channel.declare_queue(work.dead, durable=True)
        await dead_queue.bind(dead, work.name)
        for delay in retry_delays_ms:
            await channel.declare_queue(work.retry(delay), durable=True, arguments={
                "x-message-ttl": delay, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": work.name})
    return exchange


async def connect(url: str, timeout_s: float, name: str) -> AbstractRobustConnection:
    """A robust connection (it reconnects and re-declares by itself after the broker comes back)."""
    return await aio_pika.connect_robust(url, timeout=timeout_s, client_properties={"connection_name": name})


def _age_seconds(body: bytes, timestamp: datetime | None) -> float:
    """How long ago a message was published: the event's own millisecond time, else the AMQP
    timestamp (whole seconds)."""
    try:
        published = Event.from_bytes(body).occurred_ms / 1000
    except PoisonMessage:
        if timestamp is None:
            return 0.0
        published = timestamp.timestamp()
    return max(0.0, time.time() - published)


class AmqpTransport:
    """The API's side of RabbitMQ: confirmed publishing, and the depth and age of each queue."""

    kind = "rabbitmq"
    durable = True

    def __init__(self, url: str, *, timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._stats: AbstractChannel | None = None
        self._connecting: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        return self._exchange is not None and self._connection is not None and not self._connection.is_closed

    async def start(self) -> None:
        """Connect now if the broker answers, else keep trying in the background."""
        if not await self._try_connect():
            self._connecting = asyncio.create_task(self._keep_connecting())

    async def _try_connect(self) -> bool:
        try:
            connection = await connect(self.url, self.timeout_s, "taskapi")
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._exchange = await declare_topology(channel)
            self._stats = await connection.channel()
            self._connection = connection
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            logger.error("broker unreachable; events go to the outbox until it answers",
                         extra={"error": str(exc) or type(exc).__name__})
            return False
        logger.info("broker connected: exchange and queues declared", extra={"queue": self.kind})
        return True

    async def _keep_connecting(self) -> None:
        while not await self._try_connect():
            await asyncio.sleep(CONNECT_RETRY_SECONDS)

    async def publish(self, event: Event) -> None:
        """Return once the broker confirmed ``event``; else ``TransportUnavailable``."""
        if not self.connected:
            raise TransportUnavailable("not connected to the broker")
        assert self._exchange is not None
        try:
            await asyncio.wait_for(self._exchange.publish(message_for(event), routing_key=event.type,
                                                          timeout=self.timeout_s), self.timeout_s)
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            raise TransportUnavailable(str(exc) or type(exc).__name__) from exc

    async def queue_stats(self) -> dict[str, tuple[int, float]]:
        """Per queue (work and dead): messages ready, and the age in seconds of the oldest one.

        The age comes from peeking at the head (``basic.get``, then ``basic.nack`` with requeue,
        which puts it back where it was); RabbitMQ keeps no per-queue age itself.
        """
        if not self.connected or self._stats is None:
            raise TransportUnavailable("not connected to the broker")
        stats: dict[str, tuple[int, float]] = {}
        try:
            for name in [n for q in QUEUES for n in (q.name, q.dead)]:
                # robust=False: a robust channel answers a repeated passive declare from memory.
                queue = await self._stats.declare_queue(name, passive=True, timeout=self.timeout_s,
                                                        robust=False)  # type: ignore[call-arg]
                depth = queue.declaration_result.message_count or 0
                age = 0.0
                if depth:
                    head = await queue.get(no_ack=False, fail=False, timeout=self.timeout_s)
                    if head is not None:
                        age = _age_seconds(head.body, head.timestamp)
                        await head.nack(requeue=True)
                stats[name] = (depth, age)
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            raise TransportUnavailable(str(exc) or type(exc).__name__) from exc
        return stats

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        if self._connection is not None:
            await self._connection.close()
