"""What the API calls to publish: the broker behind a breaker, and the store's outbox behind it.

Policy (docs/queue.md): an event is confirmed by the broker before the request answers, or it is
written to the ``outbox`` in the store and published later by ``drain``; only when the store
cannot take it either is it lost, and then it is logged as an error and counted in
``taskapi_events_lost_total``. So "acknowledged to the user" means on the broker's disk or in the
store, never silently dropped. Delivery is at least once: an event confirmed by the broker whose
outbox entry could not be removed is published again.

    publisher = EventPublisher(transport, store, breaker, settings)
    await publisher.start()
    await publisher.publish("task.created", {"userId": u, "taskId": t})
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from target_app.breaker import CircuitBreaker
from target_app.events import metrics
from target_app.events.model import Event, TransportUnavailable
from target_app.logs import logger
from target_app.settings import Settings
from target_app.store import StoreUnavailable
from target_app.store.guarded import GuardedStore

DRAIN_BATCH = 200
CLOSE_TIMEOUT_S = 5.0


class Transport(Protocol):
    kind: str
    durable: bool

    @property
    def connected(self) -> bool: ...


    async def start(self) -> None: ...
    async def publish(self, event: Event) -> None: ...
    async def queue_stats(self) -> dict[str, tuple[int, float]]: ...
    async def close(self) -> None: ...


class EventPublisher:
    """Publishes events through ``transport``; falls back to the store's outbox when it cannot."""

    def __init__(self, transport: Transport, store: GuardedStore, breaker: CircuitBreaker,
                 settings: Settings) -> None:
        self.transport, self.store, self.breaker, self.settings = transport, store, breaker, settings
        self.kind = transport.kind
        self._tasks: list[asyncio.Task] = []
        self._draining = asyncio.Lock()

    async def start(self) -> None:
        await self.transport.start()
        jobs: list[tuple[float, Callable[[], Awaitable[object]]]] = [
            (self.settings.QUEUE_STATS_SECONDS, self.stats)]
        if self.transport.durable:
            jobs.append((self.settings.OUTBOX_DRAIN_SECONDS, self.drain))
        self._tasks += [asyncio.create_task(self._every(seconds, job)) for seconds, job in jobs]

    async def publish(self, type_: str, data: dict[str, Any]) -> Event:
        """Publish one event: confirmed by the broker, or kept in the outbox (or counted lost)."""
        event = Event.new(type_, data)
        if await self._send(event):
            return event
        try:
            await self.store.outbox_add(event.id, event.to_bytes(), event.occurred_ms)
        except StoreUnavailable as exc:
            metrics.LOST.labels(type_).inc()
            logger.error("event lost: broker and store both unreachable", extra={
                "event": type_, "event_id": event.id, "error": str(exc)})
            return event
        metrics.OUTBOXED.labels(type_).inc()
        return event

    async def _send(self, event: Event) -> bool:
        """Publish through the breaker; whether the broker confirmed."""
        if not self.breaker.allow():
            return False
        metrics.PUBLISHED.labels(event.type).inc()
        try:
            await self.transport.publish(event)
        except TransportUnavailable as exc:
            self.breaker.failure()
            logger.warning("publish failed: %s", exc, extra={"event": event.type, "event_id": event.id})
            return False
        self.breaker.success()
        metrics.CONFIRMED.labels(event.type).inc()
        return True

    async def drain(self) -> int:
        """Publish what the outbox holds, oldest first, while the broker takes it; how many went."""
        if not self.transport.connected:
            return 0
        sent = 0
        async with self._draining:
            while True:
                try:
                    batch = await self.store.outbox_take(DRAIN_BATCH)
                except StoreUnavailable:
                    return sent
                done = []
                for event_id, body in batch:
                    event = Event.from_bytes(body)
                    if not await self._send(event):
                        break
                    done.append(event_id)
                if done:
                    with contextlib.suppress(StoreUnavailable):  # published again later: at least once
                        await self.store.outbox_remove(done)
                    sent += len(done)
                if len(done) < len(batch) or len(batch) < DRAIN_BATCH:
                    if sent:
                        logger.info("outbox drained to the broker", extra={"events": sent})
                    return sent

    async def stats(self) -> None:
        """Refresh the depth and age gauges of the queues and the outbox."""
        with contextlib.suppress(TransportUnavailable):
            for name, (depth, age) in (await self.transport.queue_stats()).items():
                metrics.QUEUE_DEPTH.labels(name).set(depth)
                metrics.QUEUE_AGE.labels(name).set(age)
        if self.transport.durable:
            with contextlib.suppress(StoreUnavailable):
                metrics.OUTBOX_DEPTH.set(await self.store.outbox_count())

    async def _every(self, seconds: float, job) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:  # noqa: BLE001 - a background loop must outlive any one failure
                logger.exception("events background job failed", extra={"job": job.__name__})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:  # a broker that stopped answering must not hold the shutdown
            await asyncio.wait_for(self.transport.close(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            logger.warning("events transport did not close in time", extra={"queue": self.kind})
