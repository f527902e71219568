"""The cache's guard, on a pure in-process cache that fails on command (a unit test: a real Redis
that is merely unreachable for a moment, keeping its data, cannot be arranged reliably)."""

from __future__ import annotations

import pytest

from target_app.breaker import CircuitBreaker, State
from target_app.cache import CacheError
from target_app.cache.memory import MemoryCache
from target_app.caching import GuardedCache, task_key


class FlakyCache(MemoryCache):
    """An in-process cache that raises ``CacheError`` while ``down``, keeping its data."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def read(self, *args, **kwargs):
        self._check()
        return await super().read(*args, **kwargs)

    async def fill(self, *args, **kwargs):
        self._check()
        return await super().fill(*args, **kwargs)

    async def bump(self, *args, **kwargs):
        self._check()
        return await super().bump(*args, **kwargs)

    def _check(self) -> None:
        if self.down:
            raise CacheError("unreachable")


@pytest.fixture
def flaky() -> FlakyCache:
    return FlakyCache()


@pytest.fixture
def guard(flaky, clock) -> GuardedCache:
    return GuardedCache(flaky, CircuitBreaker("cache", failures=3, reset_seconds=5, clock=clock))


async def cached_task(guard: GuardedCache, body: bytes) -> None:
    found = await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    await guard.fill(found, body, ttl=60)


async def test_a_lookup_the_cache_cannot_answer_is_a_miss(guard, flaky):
    flaky.down = True
    found = await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    assert found.value is None


async def test_a_write_whose_invalidation_failed_stops_the_cache_being_read(guard, flaky):
    await cached_task(guard, b"old")
    flaky.down = True
    await guard.invalidate("u1", task_key("u1", "t1"))  # the store has the new value by now
    flaky.down = False  # the cache is back, still holding "old"
    found = await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    assert found.value is None
    assert guard.breaker.state is State.OPEN


async def test_invalidations_are_replayed_before_the_cache_is_trusted_again(guard, flaky, clock):
    await cached_task(guard, b"old")
    flaky.down = True
    await guard.invalidate("u1", task_key("u1", "t1"))
    flaky.down = False
    clock.now = 5
    found = await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    assert found.value is None  # the stale entry was deleted by the replay, not served
    assert guard.breaker.state is State.CLOSED


async def test_a_failed_replay_keeps_the_cache_distrusted(guard, flaky, clock):
    await cached_task(guard, b"old")
    flaky.down = True
    await guard.invalidate("u1", task_key("u1", "t1"))
    clock.now = 5
    await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    flaky.down = False
    found = await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    assert found.value is None
    assert guard.breaker.state is State.OPEN


async def test_nothing_is_filled_while_the_breaker_is_not_closed(guard, flaky):
    found = await guard.lookup("task", "u1", task_key("u1", "t1"), versioned=False)
    guard.breaker.trip()
    await guard.fill(found, b"late", ttl=60)
    assert (await flaky.read("ta:v:u1", task_key("u1", "t1"), versioned=False))[1] is None
