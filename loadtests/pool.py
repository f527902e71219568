"""The connection pool a generator process's users share, and the time requests wait for it.

Users share one HTTP connection pool per process (``Scenario.connections`` sockets, by default
one per user of the process up to the open-file limit; sockets open only as requests need them),
like users behind a load balancer. A request that finds every connection busy waits in the
generator, not in the API: :class:`PoolWaits` times that wait per request, so the recorder keeps
it apart from the time on the wire (``Recorder.record(wait_us=...)``).
"""

from __future__ import annotations

import math
import resource
import time

from gevent import getcurrent
from geventhttpclient.client import HTTPClientPool
from locust.contrib.fasthttp import insecure_ssl_context_factory

from loadtests.scenario import Scenario

FD_RESERVE = 64
"""Open files a generator process keeps for itself (logs, the master's socket, the SUT probe)."""


class PoolWaits:
    """Per user greenlet, the seconds its request in flight waited for a pooled connection.

        waits = PoolWaits()
        waits.note(0.002)      # inside the pool, in the requesting greenlet
        waits.take()           # in the request event, same greenlet: 0.002, and reset
    """

    def __init__(self) -> None:
        self.pending: dict[object, float] = {}

    def note(self, seconds: float) -> None:
        g = getcurrent()
        self.pending[g] = self.pending.get(g, 0.0) + seconds

    def take(self) -> float:
        return self.pending.pop(getcurrent(), 0.0) if self.pending else 0.0


class _TimedSlots:
    """A connection pool's semaphore that times only the acquisitions that have to wait.

    geventhttpclient's ``ConnectionPool.get_socket`` takes a slot of this semaphore before it
    reuses or opens a socket; the slot free at once (the common case) costs one comparison.
    """

    __slots__ = ("_sem", "_waits")

    def __init__(self, sem, waits: PoolWaits):
        self._sem, self._waits = sem, waits

    def acquire(self, *args, **kwargs):
        sem = self._sem
        if sem.counter > 0:
            return sem.acquire(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return sem.acquire(*args, **kwargs)
        finally:
            self._waits.note(time.perf_counter() - t0)

    def release(self):
        return self._sem.release()

    def __getattr__(self, name):
        return getattr(self._sem, name)


class TimedClientPool(HTTPClientPool):
    """geventhttpclient's per-host client pool, each client's connection slots timed."""

    def __init__(self, waits: PoolWaits, **kwargs):
        super().__init__(**kwargs)
        self.waits = waits

    def get_client(self, url):
        client = super().get_client(url)
        pool = client._connection_pool
        if type(pool._semaphore) is not _TimedSlots:
            pool._semaphore = _TimedSlots(pool._semaphore, self.waits)
        return client


def open_file_limit() -> int:
    """This process's open-file limit, raised to the hard limit first (sockets are files)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 1_048_576


def pool_size(scenario: Scenario, worker_count: int = 1) -> int:
    """Connections for one process: the scenario's, or one per user this process may run.

    A closed-model user has at most one request in flight, so one connection per user never
    makes a request wait in the generator; sockets open only when that many are in flight at
    once, so the bound costs nothing until then. Capped by the open-file limit.
    """
    if scenario.connections is not None:
        return scenario.connections
    users = math.ceil(scenario.users / max(1, worker_count))
    return max(1, min(users, open_file_limit() - FD_RESERVE))


def shared_pool(scenario: Scenario, waits: PoolWaits | None = None, worker_count: int = 1) -> HTTPClientPool:
    """One connection pool for all users of this process (one client per host inside)."""
    return TimedClientPool(
        waits if waits is not None else PoolWaits(),
        concurrency=pool_size(scenario, worker_count),
        network_timeout=scenario.timeout,
        connection_timeout=scenario.timeout,
        insecure=True,
        ssl_context_factory=insecure_ssl_context_factory,
    )
