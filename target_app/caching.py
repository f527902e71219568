"""Cache-aside for the API: keys, the cache's circuit breaker, and the metrics of each lookup.

Keys (all under ``ta:``), per user ``u``:

- ``ta:v:{u}``: the user's version, bumped on every write of theirs;
- ``ta:u:{u}``: the profile (24 h), deleted when it changes;
- ``ta:t:{u}:{task}``: one task (1 h), deleted when it changes or goes;
- ``ta:l:{u}:{query}``: one page of a list query (1 h), stale after any write (versioned);
- ``ta:a:{u}``: analytics (briefly), stale after any write (versioned).

Redis trouble never fails a request: lookups are counted as ``error`` and then, with the breaker
open, as ``bypass``, and the store answers. A write whose invalidation could not reach the cache
opens the breaker and is remembered; the cache is trusted again only after those invalidations
have been replayed, so it cannot serve what was changed while it was unreachable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from target_app import metrics
from target_app.breaker import CircuitBreaker, State
from target_app.cache.base import Cache, CacheError
from target_app.logs import logger

MAX_PENDING = 100_000


def version_key(user_id: str) -> str:
    """The key of a user's version counter."""
    return f"ta:v:{user_id}"


def user_key(user_id: str) -> str:
    """The key of a user's cached profile."""
    return f"ta:u:{user_id}"


def task_key(user_id: str, task_id: str) -> str:
    """The key of one cached task."""
    return f"ta:t:{user_id}:{task_id}"


def list_key(user_id: str, query: str) -> str:
    """The key of one cached page of a list query."""
    return f"ta:l:{user_id}:{query}"


def list_key_for_query(user_id: str, query_string: bytes) -> str:
    """The key of the page a raw query string asks for (its digest: spellings differ, keys too)."""
    return list_key(user_id, hashlib.blake2b(query_string, digest_size=12).hexdigest())


def analytics_key(user_id: str) -> str:
    """The key of a user's cached analytics."""
    return f"ta:a:{user_id}"


@dataclass(slots=True)
class Lookup:
    """The outcome of a lookup: ``value`` on a hit; what a later ``fill`` needs on a miss."""

    value: bytes | None
    version_key: str
    key: str
    version: str | None  # None when the cache was not reached: nothing will be filled


class GuardedCache:
    """A ``Cache`` behind a circuit breaker, counting every lookup by cache and result."""

    def __init__(self, cache: Cache, breaker: CircuitBreaker) -> None:
        self.inner = cache
        self.kind = cache.kind
        self.breaker = breaker
        self._pending: dict[str, set[str]] = {}

    async def lookup(self, cache: str, user_id: str, key: str, *, versioned: bool) -> Lookup:
        """Read ``key`` for ``user_id``; counted in ``cache`` as hit, miss, error or bypass."""
        vkey = version_key(user_id)
        if not await self._available():
            metrics.count_cache_lookup(cache, "bypass")
            return Lookup(None, vkey, key, None)
        try:
            version, value = await self.inner.read(vkey, key, versioned=versioned)
        except CacheError as exc:
            self._failed("read", exc)
            metrics.count_cache_lookup(cache, "error")
            return Lookup(None, vkey, key, None)
        self.breaker.success()
        metrics.count_cache_lookup(cache, "miss" if value is None else "hit")
        return Lookup(value, vkey, key, version)

    async def fill(self, lookup: Lookup, value: bytes, ttl: int) -> None:
        """Store what a missed lookup should have found, unless a write happened meanwhile."""
        if lookup.version is None or self.breaker.state is not State.CLOSED:
            return
        try:
            await self.inner.fill(lookup.version_key, lookup.version, lookup.key, value, ttl)
        except CacheError as exc:
            self._failed("fill", exc)

    async def invalidate(self, user_id: str, *keys: str) -> None:
        """After a write of ``user_id``'s: new version (lists, analytics stale) and ``keys`` deleted."""
        vkey = version_key(user_id)
        try:
            if await self._available():
                await self.inner.bump(vkey, *keys)
                self.breaker.success()
                return
        except CacheError as exc:
            self._failed("invalidate", exc)
        # The cache may still hold what this write changed: distrust it until this is replayed.
        self._remember(vkey, keys)
        if self.breaker.state is State.CLOSED:
            self.breaker.trip()

    async def hit(self, key: str, window: int) -> tuple[int, int] | None:
        """Count a request in a rate-limit window; None when the cache is unavailable (fail open)."""
        if not await self._available():
            return None
        try:
            result = await self.inner.hit(key, window)
        except CacheError as exc:
            self._failed("rate-limit", exc)
            return None
        self.breaker.success()
        return result

    async def ping(self) -> bool:
        """Whether the cache answers (a probe: it can close the breaker)."""
        if not await self._available():
            return False
        try:
            await self.inner.ping()
        except CacheError as exc:
            self._failed("ping", exc)
            return False
        self.breaker.success()
        return True

    async def close(self) -> None:
        """Close the underlying cache."""
        await self.inner.close()

    async def _available(self) -> bool:
        if not self.breaker.allow():
            return False
        if self._pending:
            try:
                await self._replay()
            except CacheError as exc:
                self._failed("replay", exc)
                if self.breaker.state is State.CLOSED:
                    self.breaker.trip()
                return False
        return True

    async def _replay(self) -> None:
        while self._pending:
            vkey, keys = self._pending.popitem()
            try:
                await self.inner.bump(vkey, *keys)
            except CacheError:
                self._remember(vkey, tuple(keys))
                raise
        logger.info("cache invalidations replayed; cache trusted again")

    def _remember(self, vkey: str, keys: tuple[str, ...]) -> None:
        if vkey not in self._pending and len(self._pending) >= MAX_PENDING:
            logger.error("too many cache invalidations pending; entries may be stale until they expire",
                         extra={"pending": len(self._pending)})
            return
        self._pending.setdefault(vkey, set()).update(keys)

    def _failed(self, operation: str, exc: Exception) -> None:
        self.breaker.failure()
        logger.warning("cache %s failed: %s", operation, exc, extra={"cache_operation": operation})
