"""The cache interface: a few atomic operations both Redis and an in-process cache can do.

Invalidation is by version: each user has a version key, bumped (INCR) on every write of theirs,
and every entry is stored with the version current when it was filled. A *versioned* read (list
pages, analytics) only returns an entry filled at the current version, so one bump makes all of
a user's lists stale at once; single entries (a task, a profile) are deleted on their own writes.
Every fill is conditional on the version still being the one read before the store was queried,
so a fill racing a write can never leave stale data behind:

    version, value = await cache.read("ta:v:u1", "ta:l:u1:abc", versioned=True)
    if value is None:
        value = compute()                                   # from the store
        await cache.fill("ta:v:u1", version, "ta:l:u1:abc", value, ttl=3600)
    ...
    await cache.bump("ta:v:u1", "ta:t:u1:t9")     # after a write: new version, delete entries
"""

from __future__ import annotations

from typing import Protocol

# Longer than any entry's lifetime, so no entry outlives its version key.
VERSION_TTL_SECONDS = 2 * 24 * 3600


class CacheError(Exception):
    """The cache could not be reached or answered with an error."""


class Cache(Protocol):
    """What the API needs from a cache. Adapters raise ``CacheError`` for any trouble."""

    kind: str

    async def read(self, version_key: str, key: str, *, versioned: bool) -> tuple[str, bytes | None]:
        """The user's current version and the value at ``key`` (None if missing, or if ``versioned``
        and filled at another version).

        A missing version key is created with a fresh, time-based value, never a reused one.
        """

    async def fill(self, version_key: str, version: str, key: str, value: bytes, ttl: int) -> bool:
        """Store ``value`` at ``key`` for ``ttl`` seconds if the version is still ``version``."""

    async def bump(self, version_key: str, *delete: str) -> None:
        """Move the version on and delete the ``delete`` keys, atomically."""

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        """Count one request in the fixed window at ``key``: (requests so far, seconds left)."""

    async def ping(self) -> None:
        """Raise ``CacheError`` unless the cache answers."""

    async def close(self) -> None:
        """Release connections."""
