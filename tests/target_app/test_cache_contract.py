"""The cache contract, the same for Redis and the in-process cache."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from target_app.cache import CacheError
from target_app.cache.memory import MemoryCache
from target_app.cache.redis import RedisCache


@pytest.fixture(params=["redis", "memory"])
async def cache(request):
    if request.param == "redis":
        c = RedisCache(request.getfixturevalue("redis_url"))
        url = request.getfixturevalue("redis_url")

        async def forget(key: str) -> None:
            raw = aioredis.Redis.from_url(url)
            await raw.delete(key)
            await raw.aclose()
    else:
        c = MemoryCache()

        async def forget(key: str) -> None:
            c._versions.pop(key, None)
    c.forget_version = forget  # how a version key is lost (expiry, eviction) in each adapter
    yield c
    await c.close()


def keys() -> tuple[str, str]:
    """A fresh version key and entry key."""
    tag = uuid.uuid4().hex
    return f"test:v:{tag}", f"test:k:{tag}"


async def test_reading_a_missing_entry_misses_and_gives_a_version(cache):
    vkey, key = keys()
    version, value = await cache.read(vkey, key, versioned=False)
    assert value is None
    assert version.isdigit()


async def test_a_filled_entry_is_read_back(cache):
    vkey, key = keys()
    version, _ = await cache.read(vkey, key, versioned=False)
    assert await cache.fill(vkey, version, key, b'{"a":1}', ttl=60) is True
    assert await cache.read(vkey, key, versioned=False) == (version, b'{"a":1}')


async def test_a_versioned_entry_goes_stale_when_the_version_is_bumped(cache):
    vkey, key = keys()
    version, _ = await cache.read(vkey, key, versioned=True)
    await cache.fill(vkey, version, key, b"page", ttl=60)
    assert (await cache.read(vkey, key, versioned=True))[1] == b"page"
    await cache.bump(vkey)
    new_version, value = await cache.read(vkey, key, versioned=True)
    assert value is None
    assert new_version != version


async def test_bump_deletes_the_keys_it_is_given(cache):
    vkey, key = keys()
    version, _ = await cache.read(vkey, key, versioned=False)
    await cache.fill(vkey, version, key, b"task", ttl=60)
    await cache.bump(vkey, key)
    assert (await cache.read(vkey, key, versioned=False))[1] is None


async def test_a_fill_started_before_a_bump_is_refused(cache):
    vkey, key = keys()
    version, _ = await cache.read(vkey, key, versioned=False)
    await cache.bump(vkey, key)  # a write lands while the reader queries the store
    assert await cache.fill(vkey, version, key, b"old", ttl=60) is False
    assert (await cache.read(vkey, key, versioned=False))[1] is None


async def test_a_lost_version_comes_back_with_a_value_never_used_before(cache):
    vkey, key = keys()
    first, _ = await cache.read(vkey, key, versioned=True)
    await cache.bump(vkey)
    second, _ = await cache.read(vkey, key, versioned=True)
    await cache.fill(vkey, second, key, b"page", ttl=60)
    await cache.forget_version(vkey)
    third, value = await cache.read(vkey, key, versioned=True)
    assert third not in (first, second)
    assert value is None


async def test_entries_expire_after_their_ttl(cache):
    vkey, key = keys()
    version, _ = await cache.read(vkey, key, versioned=False)
    await cache.fill(vkey, version, key, b"brief", ttl=1)
    await asyncio.sleep(1.1)
    assert (await cache.read(vkey, key, versioned=False))[1] is None


async def test_hits_count_up_within_a_window_and_say_how_long_it_lasts(cache):
    key = keys()[1]
    assert await cache.hit(key, 60) == (1, 60)
    count, left = await cache.hit(key, 60)
    assert count == 2
    assert 0 < left <= 60


async def test_a_new_window_starts_counting_from_one(cache):
    key = keys()[1]
    await cache.hit(key, 1)
    await cache.hit(key, 1)
    await asyncio.sleep(1.1)
    assert (await cache.hit(key, 1))[0] == 1


async def test_a_stopped_redis_is_a_cache_error(own_redis):
    c = RedisCache(own_redis.url, timeout_ms=300)
    await c.ping()
    own_redis.kill()
    with pytest.raises(CacheError):
        await c.read("v", "k", versioned=False)
    await c.close()


async def test_an_unversioned_entry_survives_a_bump_that_does_not_delete_it(cache):
    vkey, key = keys()
    version, _ = await cache.read(vkey, key, versioned=False)
    await cache.fill(vkey, version, key, b"task", ttl=60)
    await cache.bump(vkey)  # another of the user's tasks changed
    assert (await cache.read(vkey, key, versioned=False))[1] == b"task"
