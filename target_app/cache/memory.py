"""The in-process cache: zero set-up, for one worker process.

Each process has its own, so with several workers it would serve data another worker changed:
``loadgate serve --workers N`` without Redis turns caching off instead (``CACHE_BACKEND=none``).
Operations never await, so under asyncio each is atomic, like the Redis scripts they mirror.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from target_app.cache.base import VERSION_TTL_SECONDS


class MemoryCache:
    """A bounded LRU of values with expiry, plus version keys and rate-limit windows."""

    kind = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[str, tuple[float, int, bytes]] = OrderedDict()
        self._versions: dict[str, tuple[float, int]] = {}
        self._windows: dict[str, tuple[float, int]] = {}

    def _version(self, version_key: str, now: float) -> int:
        entry = self._versions.get(version_key)
        if entry is None or entry[0] <= now:
            if len(self._versions) >= self.max_entries:
                self._sweep(self._versions, now)
            # Fresh versions are the time in microseconds: never a value used before.
            entry = (now + VERSION_TTL_SECONDS, time.time_ns() // 1000)
            self._versions[version_key] = entry
        return entry[1]

    async def read(self, version_key: str, key: str, *, versioned: bool) -> tuple[str, bytes | None]:
        now = time.monotonic()
        version = self._version(version_key, now)
        entry = self._values.get(key)
        if entry is None:
            return str(version), None
        expires, filled_at, body = entry
        if expires <= now:
            del self._values[key]
            return str(version), None
        self._values.move_to_end(key)
        if versioned and filled_at != version:
            return str(version), None
        return str(version), body

    async def fill(self, version_key: str, version: str, key: str, value: bytes, ttl: int) -> bool:
        current = self._versions.get(version_key)
        if current is None or str(current[1]) != version:
            return False
        self._values[key] = (time.monotonic() + ttl, current[1], value)
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)
        return True

    async def bump(self, version_key: str, *delete: str) -> None:
        now = time.monotonic()
        self._versions[version_key] = (now + VERSION_TTL_SECONDS, self._version(version_key, now) + 1)
        for key in delete:
            self._values.pop(key, None)

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = time.monotonic()
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            if len(self._windows) >= self.max_entries:
                self._sweep(self._windows, now)
            ends, count = now + window, 0
        self._windows[key] = (ends, count + 1)
        return count + 1, max(1, round(ends - now))

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._values.clear()

    @staticmethod
    def _sweep(entries: dict[str, tuple[float, int]], now: float) -> None:
        for key in [k for k, (ends, _) in entries.items() if ends <= now]:
            del entries[key]


class NoCache(MemoryCache):
    """Caching off: every read misses and nothing is stored. Rate-limit windows still count."""

    kind = "none"

    async def read(self, version_key: str, key: str, *, versioned: bool) -> tuple[str, bytes | None]:
        return "0", None

    async def fill(self, version_key: str, version: str, key: str, value: bytes, ttl: int) -> bool:
        return False

    async def bump(self, version_key: str, *delete: str) -> None:
        return None
