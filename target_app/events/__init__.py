"""Events the API publishes instead of doing the work inline (see docs/queue.md).

    publisher = make_publisher(settings, store, handlers)
    await publisher.start()
    await publisher.publish("task.completed", {"userId": ..., "taskId": ..., "title": ...})

RabbitMQ when ``AMQP_URL`` is set (``target_app.events.amqp``), else an in-process queue the API
consumes itself (``target_app.events.memory``).
"""

from __future__ import annotations

from target_app.events.model import QUEUES, Event, PoisonMessage, WorkQueue
from target_app.events.publisher import EventPublisher

__all__ = ["QUEUES", "Event", "EventPublisher", "PoisonMessage", "WorkQueue"]
