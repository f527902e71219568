"""The MongoDB connection pool as metrics, and the read preference of the read-heavy queries.

    listener = PoolMetrics()
    AsyncMongoClient(url, event_listeners=[listener], maxPoolSize=100, minPoolSize=0)

``taskapi_store_pool_connections{state="open"|"in_use"}``: connections the driver holds, and those
checked out by an operation right now (open − in_use are idle); ``taskapi_store_pool_wait_failures_total``
counts check-outs that failed (pool exhausted past the timeout, or the server gone).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge
from pymongo import monitoring
from pymongo.read_preferences import _ServerMode, make_read_preference, read_pref_mode_from_name

POOL = Gauge("taskapi_store_pool_connections", "MongoDB connections held by the driver, by state.",
             ["state"], multiprocess_mode="livesum")
CHECKOUT_FAILED = Counter("taskapi_store_pool_checkout_failures_total",
                          "MongoDB connection check-outs that failed, by reason.", ["reason"])

READ_PREFERENCES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")


def read_preference(name: str, max_staleness_seconds: int = -1) -> _ServerMode:
    """pymongo's read preference for a mode name (``secondaryPreferred``, …).

    >>> read_preference("secondaryPreferred").mongos_mode
    'secondaryPreferred'
    """
    return make_read_preference(read_pref_mode_from_name(name), None, max_staleness_seconds)


class PoolMetrics(monitoring.ConnectionPoolListener):
    """Keeps the pool gauges: connections open and in use (all servers of the client together)."""

    def __init__(self) -> None:
        self._open = POOL.labels("open")
        self._in_use = POOL.labels("in_use")
        self._open.set(0)
        self._in_use.set(0)

    def connection_created(self, event) -> None:
        self._open.inc()

    def connection_closed(self, event) -> None:
        self._open.dec()

    def connection_checked_out(self, event) -> None:
        self._in_use.inc()

    def connection_checked_in(self, event) -> None:
        self._in_use.dec()

    def connection_check_out_failed(self, event) -> None:
        CHECKOUT_FAILED.labels(str(event.reason)).inc()

    # The rest of the interface: nothing to count.
    def pool_created(self, event) -> None: ...
    def pool_ready(self, event) -> None: ...
    def pool_cleared(self, event) -> None: ...
    def pool_closed(self, event) -> None: ...
    def connection_ready(self, event) -> None: ...
    def connection_check_out_started(self, event) -> None: ...
