"""What the worker does with each queue's events, and the outcome rules shared by both queues.

    handlers = Handlers(store, cache, mailer, settings)
    outcome = await handle(handlers, "taskapi.email", body, attempt=1, max_attempts=4)

An outcome is DONE (acknowledge), RETRY (wait and try again) or DEAD (dead-letter): a body that
is not an event of ours, or a handler's ``PermanentFailure``, is dead at once; any other failure
is retried until ``max_attempts`` and then dead.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from enum import Enum

from target_app.caching import GuardedCache
from target_app.counters import recompute_analytics
from target_app.events import metrics
from target_app.events.model import TASK_COMPLETED, Event, PoisonMessage
from target_app.logs import logger
from target_app.settings import Settings
from target_app.store.guarded import GuardedStore
from target_app.worker.mail import LogMailer, SmtpMailer


class PermanentFailure(Exception):
    """This event can never be handled: dead-letter it without retrying."""


class Outcome(Enum):
    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"


def email_message_id(event: Event) -> str:
    """One Message-ID per completed task, so a redelivered event's duplicate email is recognisable."""
    return f"<task-completed-{event.data.get('taskId')}@taskapi>"


class Handlers:
    """One coroutine per work queue, each taking an ``Event``."""

    def __init__(self, store: GuardedStore, cache: GuardedCache, mailer: SmtpMailer | LogMailer,
                 settings: Settings) -> None:
        self.store, self.cache, self.mailer, self.settings = store, cache, mailer, settings
        self.by_queue: dict[str, Callable[[Event], Awaitable[None]]] = {
            "taskapi.email": self.email, "taskapi.analytics": self.analytics,
            "taskapi.activity": self.activity}

    async def email(self, event: Event) -> None:
        """A completed task: tell its owner by email."""
        if event.type != TASK_COMPLETED:
            raise PermanentFailure(f"the email queue does not handle {event.type}")
        user_id, title = event.data.get("userId"), event.data.get("title")
        if not isinstance(user_id, str) or not isinstance(title, str):
            raise PermanentFailure("task.completed needs userId and title")
        user = await self.store.get_user(user_id)
        if user is None:
            logger.info("completed task's owner is gone; no email", extra={"event_id": event.id})
            return
        await self.mailer.send(user["email"], f"Task completed: {title}",
                               f"Hello {user['name'] or user['email']},\n\nyou completed \"{title}\".\n",
                               email_message_id(event))
        metrics.EMAILS.inc()

    async def analytics(self, event: Event) -> None:
        """A task changed: recompute its owner's counters into the cache."""
        user_id = event.data.get("userId")
        if not isinstance(user_id, str):
            raise PermanentFailure(f"{event.type} needs userId")
        if self.cache.kind == "none":
            return
        await recompute_analytics(self.store, self.cache, user_id, self.settings.ANALYTICS_CACHE_SECONDS)

    async def activity(self, event: Event) -> None:
        """Every event: one line of the activity (analytics) log, and a count by type."""
        logger.info("activity", extra={"event": event.type, "event_id": event.id,
                                       "user_id": event.data.get("userId"), "occurred_ms": event.occurred_ms})
        metrics.ACTIVITY.labels(event.type).inc()


async def handle(handlers: Handlers, queue: str, body: bytes, *, attempt: int, max_attempts: int) -> Outcome:
    """Handle one message of ``queue``; the outcome says what to do with it (metrics counted here)."""
    try:
        event = Event.from_bytes(body)
    except PoisonMessage as exc:
        logger.error("poison message dead-lettered: %s", exc, extra={"queue": queue})
        metrics.DEAD_LETTERED.labels(queue).inc()
        return Outcome.DEAD
    metrics.LAG.labels(queue).set(max(0.0, time.time() - event.occurred_ms / 1000))
    start = time.perf_counter()
    try:
        await handlers.by_queue[queue](event)
    except PermanentFailure as exc:
        logger.error("event dead-lettered: %s", exc, extra={"queue": queue, "event_id": event.id})
        metrics.FAILED.labels(queue).inc()
        metrics.DEAD_LETTERED.labels(queue).inc()
        return Outcome.DEAD
    except Exception as exc:  # noqa: BLE001 - any failure of a handler is retried, then dead-lettered
        metrics.FAILED.labels(queue).inc()
        if attempt >= max_attempts:
            logger.error("event dead-lettered after %d attempts: %s", attempt, exc,
                         extra={"queue": queue, "event_id": event.id})
            metrics.DEAD_LETTERED.labels(queue).inc()
            return Outcome.DEAD
        logger.warning("event failed (attempt %d of %d), retrying: %s", attempt, max_attempts, exc,
                       extra={"queue": queue, "event_id": event.id})
        metrics.RETRIED.labels(queue).inc()
        return Outcome.RETRY
    finally:
        metrics.PROCESSING.labels(queue).observe(time.perf_counter() - start)
    metrics.CONSUMED.labels(queue).inc()
    return Outcome.DONE


def retry_delay_ms(settings: Settings, attempt: int) -> int:
    """Exponential backoff: base × 4^(attempt-1), in ms (0.5 s, 2 s, 8 s, ... by default).

    >>> retry_delay_ms(Settings(WORKER_RETRY_BASE_SECONDS=0.5), 2)
    2000
    """
    return int(settings.WORKER_RETRY_BASE_SECONDS * 1000 * 4 ** (attempt - 1))


def retry_delays_ms(settings: Settings) -> list[int]:
    """Every delay a retry can wait (one delay queue each)."""
    return [retry_delay_ms(settings, a) for a in range(1, settings.WORKER_MAX_ATTEMPTS)]
