"""The open model's clock: journeys arrive at a rate, whether or not the server keeps up.

A greenlet per generator process issues *tickets* (each the epoch time a journey is due) at this
process's share of the scenario's rate; users take tickets and run one journey each. When the
server is slow, tickets wait in the queue and their requests are measured from the ticket's time,
so the wait counts (no coordinated omission). A slow server cannot slow the arrivals down.

    >>> arrivals = Arrivals(rate=lambda t: 50.0)   # 50 journeys/s for this process
    >>> arrivals.start()
    >>> due = arrivals.take()                       # blocks until a journey is due
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent
from gevent.queue import Queue

logger = logging.getLogger(__name__)

MAX_BACKLOG = 1_000_000
"""Tickets kept waiting at most; beyond it arrivals are dropped and counted (a run that far
behind has already failed, and memory should not be what ends it)."""
IDLE_S = 0.05


class Arrivals:
    """Evenly spaced arrivals at ``rate(t)`` per second, ``t`` seconds since ``start()``."""

    def __init__(self, rate: Callable[[float], float]):
        self.rate = rate
        self.queue: Queue = Queue()
        self.issued = 0
        self.dropped = 0
        self._greenlet: gevent.Greenlet | None = None
        self._t0 = 0.0

    def start(self) -> None:
        """Start (or restart) the clock at time zero."""
        self.stop()
        self.queue = Queue()
        self._t0 = time.time()
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def take(self) -> float:
        """The due time (epoch seconds) of the next journey; blocks until one is due."""
        return self.queue.get()

    @property
    def backlog(self) -> int:
        return self.queue.qsize()

    def _run(self) -> None:
        due = self._t0
        while True:
            now = time.time()
            rate = self.rate(now - self._t0)
            if rate <= 0:
                due = now  # nothing due while the rate is zero; restart the spacing from now
                gevent.sleep(IDLE_S)
                continue
            due += 1.0 / rate
            if due > now:
                gevent.sleep(due - now)
            # If we woke late, the ticket keeps its due time: the lateness is the generator's,
            # and the corrected latency shows it.
            if self.queue.qsize() >= MAX_BACKLOG:
                self.dropped += 1
                if self.dropped == 1:
                    logger.warning("open model: %d journeys waiting; dropping arrivals", MAX_BACKLOG)
                continue
            self.queue.put(due)
            self.issued += 1
