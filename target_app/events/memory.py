"""The embedded default: an in-process queue per work queue, consumed by the API process itself.

Zero set-up, same handlers, same retry and dead-letter rules as the worker on RabbitMQ; but the
queues live in memory, so events not yet handled are lost when the process stops. The API says so
at start-up; set ``AMQP_URL`` for events that survive (docs/queue.md).

    transport = MemoryTransport(handlers, settings)
    await transport.start()
    await transport.publish(event)
"""

from __future__ import annotations

import asyncio
import collections
import time

from target_app.events.model import QUEUES, Event, queues_for
from target_app.logs import logger
from target_app.settings import Settings
from target_app.worker.handlers import Handlers, Outcome, handle, retry_delay_ms

MAX_DEAD = 10_000  # dead letters kept per queue, for inspection


class _Queue:
    """A FIFO of (body, attempt, enqueued-at) and a way to wait for it to be non-empty."""

    def __init__(self) -> None:
        self.items: collections.deque[tuple[bytes, int, float]] = collections.deque()
        self.ready = asyncio.Event()

    def put(self, body: bytes, attempt: int, published: float) -> None:
        self.items.append((body, attempt, published))
        self.ready.set()

    async def get(self) -> tuple[bytes, int, float]:
        while not self.items:
            self.ready.clear()
            await self.ready.wait()
        return self.items.popleft()


class MemoryTransport:
    """Publishes to in-process queues and consumes them with one task per queue."""

    kind = "memory"
    durable = False
    connected = True

    def __init__(self, handlers: Handlers, settings: Settings) -> None:
        self.handlers, self.settings = handlers, settings
        self.queues = {q.name: _Queue() for q in QUEUES}
        self.dead: dict[str, collections.deque[bytes]] = {
            q.name: collections.deque(maxlen=MAX_DEAD) for q in QUEUES}
        self._tasks: list[asyncio.Task] = []
        self._busy = 0

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._consume(name)) for name in self.queues]

    async def publish(self, event: Event) -> None:
        body, now = event.to_bytes(), time.time()
        for work in queues_for(event.type):
            self.queues[work.name].put(body, 1, now)

    def publish_raw(self, queue: str, body: bytes) -> None:
        """Put any body on a queue (tests use it for poison messages)."""
        self.queues[queue].put(body, 1, time.time())

    async def _consume(self, name: str) -> None:
        queue = self.queues[name]
        while True:
            body, attempt, published = await queue.get()
            self._busy += 1
            try:
                outcome = await handle(self.handlers, name, body, attempt=attempt,
                                       max_attempts=self.settings.WORKER_MAX_ATTEMPTS)
            except Exception:  # noqa: BLE001 - a consumer task must outlive any one message
                logger.exception("in-process consumer failed", extra={"queue": name})
                outcome = Outcome.DEAD
            finally:
                self._busy -= 1
            if outcome is Outcome.RETRY:
                delay = retry_delay_ms(self.settings, attempt) / 1000
                asyncio.get_running_loop().call_later(delay, queue.put, body, attempt + 1, published)
            elif outcome is Outcome.DEAD:
                self.dead[name].append(body)

    async def queue_stats(self) -> dict[str, tuple[int, float]]:
        """Per queue (work and dead): messages waiting, and the age of the oldest waiting one."""
        now, stats = time.time(), {}
        for work in QUEUES:
            items = self.queues[work.name].items
            stats[work.name] = (len(items), now - items[0][2] if items else 0.0)
            stats[work.dead] = (len(self.dead[work.name]), 0.0)
        return stats

    def idle(self) -> bool:
        """Nothing waiting and nothing being handled (retries waiting on a timer not counted)."""
        return self._busy == 0 and not any(q.items for q in self.queues.values())

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
