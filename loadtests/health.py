"""Generator health: is this load-generator process measuring the API, or itself?

A greenlet per Locust process samples, about once a second, its CPU (psutil), its resident
memory, and the gevent hub's loop lag: how late a short sleep wakes up. A busy loop delays every
response callback, so its lag is added to the latencies we record; ``reports.summary`` turns these
samples into the run's validity.

    >>> monitor = HealthMonitor("local", users=lambda: runner.user_count)
    >>> gevent.spawn(monitor.run, sink=samples.append)   # one GeneratorSample per second
"""

from __future__ import annotations

import time
from collections.abc import Callable

import gevent
import psutil

from loadgate.runformat import GeneratorSample

TICK_S = 0.05
"""The lag probe's sleep; lag is how much later than this the loop wakes us."""
SAMPLE_S = 1.0


class HealthMonitor:
    """Samples CPU, RSS and loop lag of this process; the lag is the worst tick of each second."""

    def __init__(self, process: str, users: Callable[[], int] = lambda: 0):
        self.process = process
        self.users = users
        self._proc = psutil.Process()
        self._proc.cpu_percent(None)  # the first call only starts psutil's measurement

    def sample_window(self, seconds: float = SAMPLE_S) -> GeneratorSample:
        """Sleep in short ticks for ``seconds`` and return one sample of the window."""
        worst = 0.0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            before = time.perf_counter()
            gevent.sleep(TICK_S)
            worst = max(worst, time.perf_counter() - before - TICK_S)
        return GeneratorSample(
            t=time.time(),
            process=self.process,
            cpu_percent=self._proc.cpu_percent(None),
            loop_lag_ms=max(worst, 0.0) * 1000.0,
            rss_bytes=self._proc.memory_info().rss,
            users=self.users(),
        )

    def run(self, sink: Callable[[GeneratorSample], None]) -> None:
        """Forever: one sample per second into ``sink`` (run it in a greenlet, kill it to stop)."""
        while True:
            sink(self.sample_window())
