"""Prometheus metrics (names are a contract with loadgate's SUT probe; see docs/metrics.md).

With several worker processes, ``PROMETHEUS_MULTIPROC_DIR`` must be set (``loadgate serve`` does)
before this module is imported: each process then writes its values to files there and
``/metrics`` adds them up across processes.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from target_app.context import current_method_and_route

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_LATENCY = Histogram(
    "taskapi_http_request_duration_seconds", "HTTP request latency by method, route template and status.",
    ["method", "route", "status"], buckets=LATENCY_BUCKETS)
CACHE_REQUESTS = Counter(
    "taskapi_cache_requests_total", "Cache lookups by cache, the request's method and route, and result.",
    ["cache", "method", "route", "result"])
STORE_LATENCY = Histogram(
    "taskapi_store_operation_duration_seconds", "Store operation latency (failed operations included).",
    ["operation"], buckets=STORE_BUCKETS)
RATE_LIMITED = Counter(
    "taskapi_rate_limited_total", "Requests refused with 429, by scope (user or ip).", ["scope"])
HASHING_SHED = Counter(
    "taskapi_password_hashing_shed_total",
    "Password hashes refused with 503 because the hashing pool and its queue were full, by operation.",
    ["operation"])
# Across workers the worst state wins (an open breaker anywhere shows), counting live workers only.
BREAKER_STATE = Gauge(
    "taskapi_circuit_breaker_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
    ["breaker"], multiprocess_mode="livemax")

_http: dict[tuple[str, str, int], Any] = {}
_cache: dict[tuple[str, str, str, str], Any] = {}
_store: dict[str, Any] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Record one HTTP request's latency."""
    key = (method, route, status)
    child = _http.get(key)
    if child is None:
        child = _http[key] = HTTP_LATENCY.labels(method, route, str(status))
    child.observe(seconds)


def count_cache_lookup(cache: str, result: str) -> None:
    """Count one lookup in ``cache`` (user, task, task_list, analytics) with its result."""
    method, route = current_method_and_route()
    key = (cache, method, route, result)
    child = _cache.get(key)
    if child is None:
        child = _cache[key] = CACHE_REQUESTS.labels(cache, method, route, result)
    child.inc()


def observe_store(operation: str, seconds: float) -> None:
    """Record one store operation's latency."""
    child = _store.get(operation)
    if child is None:
        child = _store[operation] = STORE_LATENCY.labels(operation)
    child.observe(seconds)


def count_rate_limited(scope: str) -> None:
    """Count one request refused by the rate limiter."""
    RATE_LIMITED.labels(scope).inc()


def count_hashing_shed(operation: str) -> None:
    """Count one password hash or verify refused because the hashing queue was full."""
    HASHING_SHED.labels(operation).inc()


def set_breaker_state(breaker: str, state: int) -> None:
    """Publish a breaker's state (0 closed, 1 half-open, 2 open)."""
    BREAKER_STATE.labels(breaker).set(state)


def multiprocess_dir() -> str | None:
    """The directory shared by worker processes, when running several."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def render() -> tuple[bytes, str]:
    """The exposition text (added up across worker processes in multiprocess mode)."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Drop a stopping worker's live gauges (multiprocess mode only)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
