"""The SUT probe: scrape the API's ``/metrics`` into ``sut.jsonl`` rows.

    probe = Probe("http://127.0.0.1:8000")
    sample = probe.sample()                 # one SutSample, cumulative counters
    sample.cache["GET /tasks"]["hit"]       # 1234.0
    sample.queues["taskapi.email"]          # {'depth': 7.0, 'age_s': 4.5}: the async backlog
    probe.hit_ratio()                       # 0.93: over the run so far, across API restarts

Plain blocking code (``urllib``): in a Locust process gevent has patched sockets, so calling it
from a greenlet does not block the users.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families

from loadgate.runformat import SutSample, counters

CACHE = "taskapi_cache_requests_total"
RATE_LIMITED = "taskapi_rate_limited_total"
BREAKER = "taskapi_circuit_breaker_state"
STORE = "taskapi_store_operation_duration_seconds"
QUEUE_DEPTH = "taskapi_queue_depth"
QUEUE_AGE = "taskapi_queue_oldest_message_age_seconds"
OUTBOX_DEPTH = "taskapi_outbox_depth"
EVENT_COUNTERS = {"taskapi_events_published_total": "published",
                  "taskapi_events_confirmed_total": "confirmed",
                  "taskapi_events_outboxed_total": "outboxed", "taskapi_events_lost_total": "lost"}


def parse_metrics(text: str, t: float) -> SutSample:
    """A SutSample from Prometheus text exposition (labels as in the API's contract)."""
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    cache: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    caches: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    breakers: dict[str, float] = {}
    store: dict[str, dict[str, float]] = defaultdict(lambda: {"count": 0.0, "sum_s": 0.0})
    rate_limited = 0.0
    for s in samples:
        labels = s.labels
        if s.name == CACHE:
            endpoint = f"{labels.get('method', '?')} {labels.get('route', '?')}"
            result = labels.get("result", "?")
            cache[endpoint][result] += s.value
            caches[labels.get("cache", "?")][result] += s.value
        elif s.name == RATE_LIMITED:
            rate_limited += s.value
        elif s.name == BREAKER:
            breakers[labels.get("breaker", "?")] = s.value
        elif s.name == f"{STORE}_count":
            store[labels.get("operation", "?")]["count"] += s.value
        elif s.name == f"{STORE}_sum":
            store[labels.get("operation", "?")]["sum_s"] += s.value
    backlog = _queue_figures(samples)
    return SutSample(
        t=t,
        cache={k: dict(v) for k, v in cache.items()},
        caches={k: dict(v) for k, v in caches.items()},
        rate_limited=rate_limited,
        breakers=breakers,
        store_ops={k: dict(v) for k, v in store.items()},
        queues=backlog["queues"],
        events=backlog["events"],
    )


def parse_queue_metrics(text: str) -> dict[str, dict]:
    """The async side from ``/metrics``: backlog per queue and the event counters (docs/queue.md).

    ``{"queues": {queue: {"depth": n, "age_s": s}}, "events": {"published": n, "confirmed": n,
    "outboxed": n, "lost": n, "outbox_depth": n}}``; queues include the ``.dead`` ones. Empty
    dicts when the API publishes no events.
    """
    return _queue_figures([s for family in text_string_to_metric_families(text) for s in family.samples])


def _queue_figures(samples: list) -> dict[str, dict]:
    queues: dict[str, dict[str, float]] = defaultdict(lambda: {"depth": 0.0, "age_s": 0.0})
    events: dict[str, float] = {}
    for s in samples:
        if s.name == QUEUE_DEPTH:
            queues[s.labels.get("queue", "?")]["depth"] = s.value
        elif s.name == QUEUE_AGE:
            queues[s.labels.get("queue", "?")]["age_s"] = s.value
        elif s.name == OUTBOX_DEPTH:
            events["outbox_depth"] = s.value
        elif s.name in EVENT_COUNTERS:
            key = EVENT_COUNTERS[s.name]
            events[key] = events.get(key, 0.0) + s.value
    return {"queues": {k: dict(v) for k, v in queues.items()}, "events": events}


def hit_ratio(first: SutSample | None, last: SutSample | None) -> float | None:
    """Cache hits over all lookups between two samples (errors and bypasses count as misses).

    Two samples cannot see a restart between them; :class:`Probe` adds every scrape's increase.
    """
    if first is None or last is None or not (first.ok and last.ok):
        return None
    return counters.hit_ratio(counters.combined(counters.increases([first.cache, last.cache])))[0]


class Probe:
    """Scrapes ``<target>/metrics``; a failed scrape is a sample with ``ok=False`` and the error."""

    def __init__(self, target: str, timeout: float = 5.0):
        self.url = target.rstrip("/") + "/metrics"
        self.timeout = timeout
        self.first: SutSample | None = None
        self.last: SutSample | None = None
        self.saw_queues = False
        """Whether any scrape reported queues: the API publishes events, so a run can wait for them."""
        self._lookups: dict[str, dict[str, float]] = {}  # increases since the first good sample

    def sample(self) -> SutSample:
        t = time.time()
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as resp:
                text = resp.read().decode("utf-8", "replace")
            sample = parse_metrics(text, t)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            sample = SutSample(t=t, ok=False, error=f"{self.url}: {exc}"[:300])
        if sample.ok:
            if self.last is not None:
                counters.add_steps(self._lookups, self.last.cache, sample.cache)
            self.first = self.first or sample
            self.last = sample
            self.saw_queues = self.saw_queues or bool(sample.queues)
        return sample

    def hit_ratio(self) -> float | None:
        """Cache-hit ratio since the first good sample, across API restarts (the report's rule)."""
        return counters.hit_ratio(counters.combined(self._lookups))[0]
