"""What travels on the queue: events, the exchange and the queues bound to it.

    >>> Event.new("task.created", {"userId": "u1"}).type
    'task.created'
    >>> [q.name for q in queues_for("task.completed")]
    ['taskapi.email', 'taskapi.analytics', 'taskapi.activity']

One topic exchange, ``taskapi.events``; each work queue is bound to the event types it handles,
and dead-letters to ``<queue>.dead`` (through the direct exchange ``taskapi.dead``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from bson import ObjectId

EXCHANGE = "taskapi.events"
DEAD_EXCHANGE = "taskapi.dead"

# The event types the API publishes.
TASK_CREATED = "task.created"
TASK_UPDATED = "task.updated"
TASK_COMPLETED = "task.completed"
TASK_DELETED = "task.deleted"
PROFILE_CHANGED = "profile.changed"
EVENT_TYPES = (TASK_CREATED, TASK_UPDATED, TASK_COMPLETED, TASK_DELETED, PROFILE_CHANGED)


class TransportUnavailable(Exception):
    """The broker could not take a message (down, unreachable, or no confirm in time)."""


class PoisonMessage(ValueError):
    """A message that can never be handled (not an event of ours): dead-lettered at once."""


@dataclass(frozen=True)
class WorkQueue:
    """A durable queue, the topic patterns bound to it, and where its failures go."""

    name: str
    bindings: tuple[str, ...]

    @property
    def dead(self) -> str:
        """The queue its poison and exhausted messages end in."""
        return f"{self.name}.dead"

    def retry(self, delay_ms: int) -> str:
        """The delay queue a retry waits in before going back to this queue."""
        return f"{self.name}.retry.{delay_ms}ms"


QUEUES = (
    WorkQueue("taskapi.email", (TASK_COMPLETED,)),           # the notification email
    WorkQueue("taskapi.analytics", ("task.*",)),             # recompute the user's counters
    WorkQueue("taskapi.activity", ("#",)),                   # analytics log of every event
)
QUEUE_BY_NAME = {q.name: q for q in QUEUES}


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more.

    >>> topic_matches("task.*", "task.created"), topic_matches("#", "a.b"), topic_matches("a.*", "a")
    (True, True, False)
    """
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] in ("*", k[0])) and match(p[1:], k[1:])
    return match(pattern.split("."), key.split("."))


def queues_for(event_type: str) -> list[WorkQueue]:
    """The work queues an event of this type is routed to."""
    return [q for q in QUEUES if any(topic_matches(b, event_type) for b in q.bindings)]


@dataclass(frozen=True)
class Event:
    """One event: a unique id (also the AMQP message id), its type (the routing key), when, data."""

    id: str
    type: str
    occurred_ms: int
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, type_: str, data: dict[str, Any]) -> Event:
        """A fresh event of ``type_``, stamped now."""
        return cls(str(ObjectId()), type_, int(time.time() * 1000), data)

    def to_bytes(self) -> bytes:
        """The JSON body on the wire and in the outbox."""
        return orjson.dumps({"id": self.id, "type": self.type, "occurred_ms": self.occurred_ms,
                             "data": self.data})

    @classmethod
    def from_bytes(cls, body: bytes) -> Event:
        """Parse a body; ``PoisonMessage`` if it is not an event of ours."""
        try:
            raw = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PoisonMessage(f"not JSON: {exc}") from None
        if not isinstance(raw, dict) or raw.get("type") not in EVENT_TYPES \
                or not isinstance(raw.get("id"), str) or not isinstance(raw.get("occurred_ms"), int) \
                or not isinstance(raw.get("data"), dict):
            raise PoisonMessage("not an event: needs id, a known type, occurred_ms and data")
        return cls(raw["id"], raw["type"], raw["occurred_ms"], raw["data"])
