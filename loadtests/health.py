"""Generator health: is this load-generator process measuring the API, or itself?

A greenlet per Locust process samples, once a second, its CPU (psutil), its resident memory, and
the gevent hub's loop lag: how late the one-second sleep between samples wakes up. A busy loop (or
a starved process) delays every response callback by as much, so the lag is added to the latencies
we record. Each sample is one timer at an arbitrary moment, so the samples' p99 estimates the p99
of the lag a response meets; ``reports.summary`` turns these samples into the run's validity.

    monitor = HealthMonitor("local", users=lambda: runner.user_count)
    gevent.spawn(monitor.run, sink=samples.append)   # one GeneratorSample per second
"""

from __future__ import annotations

import time
from collections.abc import Callable

import gevent
import psutil

from loadgate.runformat import GeneratorSample

SAMPLE_S = 1.0
"""Seconds between samples; the lag is how much later than this the loop wakes us."""


class HealthMonitor:
    """Samples CPU, RSS and loop lag of this process."""

    def __init__(self, process: str, users: Callable[[], int] = lambda: 0):
        self.process = process
        self.users = users
        self._proc = psutil.Process()
        self._proc.cpu_percent(None)  # the first call only starts psutil's measurement

    def sample_window(self, seconds: float = SAMPLE_S) -> GeneratorSample:
        """Sleep ``seconds`` and return one sample: CPU over the window, the wake-up's lateness."""
        before = time.perf_counter()
        gevent.sleep(seconds)
        lag = time.perf_counter() - before - seconds
        return GeneratorSample(
            t=time.time(),
            process=self.process,
            cpu_percent=self._proc.cpu_percent(None),
            loop_lag_ms=max(lag, 0.0) * 1000.0,
            rss_bytes=self._proc.memory_info().rss,
            users=self.users(),
        )

    def run(self, sink: Callable[[GeneratorSample], None]) -> None:
        """Forever: one sample per second into ``sink`` (run it in a greenlet, kill it to stop)."""
        while True:
            sink(self.sample_window())
