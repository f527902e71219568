"""Prometheus metrics of the events, in the API and the worker (names in docs/metrics.md)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PROCESSING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

PUBLISHED = Counter("taskapi_events_published_total",
                    "Events sent to the broker (each attempt, the outbox's included), by event type.",
                    ["event"])
CONFIRMED = Counter("taskapi_events_confirmed_total",
                    "Events the broker confirmed (publisher confirms), by event type.", ["event"])
OUTBOXED = Counter("taskapi_events_outboxed_total",
                   "Events written to the store's outbox because the broker was unreachable.", ["event"])
LOST = Counter("taskapi_events_lost_total",
               "Events neither confirmed nor written to the outbox (broker and store both down).",
               ["event"])
OUTBOX_DEPTH = Gauge("taskapi_outbox_depth", "Events waiting in the store's outbox for the broker.",
                     multiprocess_mode="livemax")
QUEUE_DEPTH = Gauge("taskapi_queue_depth", "Messages ready in a queue (dead-letter queues included).",
                    ["queue"], multiprocess_mode="livemax")
QUEUE_AGE = Gauge("taskapi_queue_oldest_message_age_seconds",
                  "Age of the oldest message waiting in a queue (0 when empty): the backlog's lag.",
                  ["queue"], multiprocess_mode="livemax")
CONSUMED = Counter("taskapi_events_consumed_total", "Messages handled and acknowledged, by queue.",
                   ["queue"])
FAILED = Counter("taskapi_events_failed_total", "Handling attempts that failed, by queue.", ["queue"])
RETRIED = Counter("taskapi_events_retried_total", "Messages sent to wait and try again, by queue.",
                  ["queue"])
DEAD_LETTERED = Counter("taskapi_events_dead_lettered_total",
                        "Messages dead-lettered (poison, or out of attempts), by queue.", ["queue"])
PROCESSING = Histogram("taskapi_worker_processing_seconds", "Time a worker spends handling one message.",
                       ["queue"], buckets=PROCESSING_BUCKETS)
LAG = Gauge("taskapi_worker_lag_seconds",
            "Age of the message a worker last started on (publish to start of handling).", ["queue"],
            multiprocess_mode="livemax")
EMAILS = Counter("taskapi_emails_sent_total", "Notification emails handed to the SMTP server.")
ACTIVITY = Counter("taskapi_activity_events_total", "Events written to the activity (analytics) log.",
                   ["event"])
