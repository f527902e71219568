"""The store as the API uses it: behind a circuit breaker, each operation timed.

When the breaker is open, calls fail at once with ``StoreUnavailable`` (a 503) instead of each
waiting for a timeout; after the pause one call probes the store and, if it answers, traffic
flows again. ``/ready`` pings through here too, so readiness probes alone bring it back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from target_app import metrics
from target_app.breaker import CircuitBreaker
from target_app.store.base import Store, StoreUnavailable


class GuardedStore:
    """Wraps a ``Store``: same methods, guarded by ``breaker`` and recorded per operation."""

    def __init__(self, store: Store, breaker: CircuitBreaker) -> None:
        self.inner = store
        self.kind = store.kind
        self.breaker = breaker

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name.startswith("_") or name == "close" or not callable(method):
            return method

        async def guarded(*args: Any, **kwargs: Any) -> Any:
            return await self.call(name, method, *args, **kwargs)
        guarded.__name__ = name
        setattr(self, name, guarded)  # built once per method
        return guarded

    async def call(self, operation: str, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Run one store operation through the breaker, timing it."""
        if not self.breaker.allow():
            raise StoreUnavailable("store circuit breaker is open", retry_after=self.breaker.retry_after())
        start = time.perf_counter()
        try:
            result = await fn(*args, **kwargs)
        except StoreUnavailable as exc:
            self.breaker.failure()
            exc.retry_after = max(exc.retry_after, self.breaker.retry_after())
            raise
        except Exception:
            self.breaker.success()  # the store answered (a conflict, a bad query): not an outage
            raise
        finally:
            metrics.observe_store(operation, time.perf_counter() - start)
        self.breaker.success()
        return result

    async def close(self) -> None:
        """Close the underlying store."""
        await self.inner.close()
