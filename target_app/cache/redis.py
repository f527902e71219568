"""The Redis cache (``redis.asyncio``). A lookup, the hot path, is one plain ``MGET`` of the
user's version and the entry; writes are Lua scripts, so each is one atomic round trip.

An entry is stored as ``<version>\\n<body>``: the version it was filled at travels with it.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from target_app.cache.base import VERSION_TTL_SECONDS, CacheError

# A version is a decimal integer: fresh ones are the server's time in microseconds, so a version
# key that expired or was evicted never comes back with a value that was used before.
INIT = """
local t = redis.call('TIME')
redis.call('SET', KEYS[1], t[1] .. string.format('%06d', t[2]), 'NX', 'EX', ARGV[1])
return redis.call('GET', KEYS[1])
"""

FILL = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1] .. '\\n' .. ARGV[2], 'EX', ARGV[3])
return 1
"""

BUMP = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], t[1] .. string.format('%06d', t[2]))
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"""

HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""

_ERRORS = (RedisError, OSError, TimeoutError)


class RedisCache:
    """A cache in Redis. No client-side retries: the circuit breaker decides what to do on errors."""

    kind = "redis"

    def __init__(self, url: str, *, timeout_ms: int = 500) -> None:
        self._timeout = timeout_ms / 1000
        # No socket_timeout: redis-py would wrap every send in asyncio.wait_for (a task per
        # command); each operation is bounded with asyncio.timeout instead, which costs far less.
        self._redis = Redis.from_url(url, socket_timeout=None, socket_connect_timeout=self._timeout,
                                     retry=Retry(NoBackoff(), 0), health_check_interval=0)
        self._init = self._redis.register_script(INIT)
        self._fill = self._redis.register_script(FILL)
        self._bump = self._redis.register_script(BUMP)
        self._hit = self._redis.register_script(HIT)

    async def read(self, version_key: str, key: str, *, versioned: bool) -> tuple[str, bytes | None]:
        try:
            async with asyncio.timeout(self._timeout):
                version, entry = await self._redis.mget(version_key, key)
            if version is None:
                async with asyncio.timeout(self._timeout):
                    version = await self._init(keys=[version_key], args=[VERSION_TTL_SECONDS])
                if versioned:
                    entry = None  # a fresh version: nothing was filled at it yet
        except _ERRORS as exc:
            raise CacheError(str(exc) or type(exc).__name__) from exc
        current = _text(version)
        if entry is None:
            return current, None
        filled_at, _, body = _raw(entry).partition(b"\n")
        if versioned and filled_at != _raw(version):
            return current, None
        return current, body

    async def fill(self, version_key: str, version: str, key: str, value: bytes, ttl: int) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                return bool(await self._fill(keys=[version_key, key], args=[version, value, ttl]))
        except _ERRORS as exc:
            raise CacheError(str(exc) or type(exc).__name__) from exc

    async def bump(self, version_key: str, *delete: str) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._bump(keys=[version_key, *delete], args=[VERSION_TTL_SECONDS])
        except _ERRORS as exc:
            raise CacheError(str(exc) or type(exc).__name__) from exc

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        try:
            async with asyncio.timeout(self._timeout):
                count, ttl = await self._hit(keys=[key], args=[window])
        except _ERRORS as exc:
            raise CacheError(str(exc) or type(exc).__name__) from exc
        return int(count), int(ttl)

    async def ping(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.ping()
        except _ERRORS as exc:
            raise CacheError(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        await self._redis.aclose()


def _raw(value: bytes | str) -> bytes:
    """Redis answers bytes here (no ``decode_responses``); typed as either by redis-py."""
    return value if isinstance(value, bytes) else value.encode()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
