"""The Redis cache (``redis.asyncio``): each operation is one round trip, via a Lua script.

Scripts name keys they build (``key:version``) without declaring them in KEYS, so this adapter is
for a single Redis (or one cluster slot per user via hash tags, which it does not attempt).
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from target_app.cache.base import VERSION_TTL_SECONDS, CacheError

# A version is a decimal integer: fresh ones are the server's time in microseconds, so a version
# key that expired or was evicted never comes back with a value that was used before.
READ = """
local v = redis.call('GET', KEYS[1])
if not v then
  local t = redis.call('TIME')
  v = t[1] .. string.format('%06d', t[2])
  redis.call('SET', KEYS[1], v, 'EX', ARGV[3])
end
local key = ARGV[1]
if ARGV[2] == '1' then key = key .. ':' .. v end
return {v, redis.call('GET', key)}
"""

FILL = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
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


class RedisCache:
    """A cache in Redis. No client-side retries: the circuit breaker decides what to do on errors."""

    kind = "redis"

    def __init__(self, url: str, *, timeout_ms: int = 500) -> None:
        timeout = timeout_ms / 1000
        self._redis = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                     retry=Retry(NoBackoff(), 0), health_check_interval=0)
        self._read = self._redis.register_script(READ)
        self._fill = self._redis.register_script(FILL)
        self._bump = self._redis.register_script(BUMP)
        self._hit = self._redis.register_script(HIT)

    async def read(self, version_key: str, key: str, *, versioned: bool) -> tuple[str, bytes | None]:
        try:
            version, value = await self._read(keys=[version_key],
                                              args=[key, "1" if versioned else "0", VERSION_TTL_SECONDS])
        except (RedisError, OSError) as exc:
            raise CacheError(str(exc)) from exc
        return version.decode(), value

    async def fill(self, version_key: str, version: str, key: str, value: bytes, ttl: int) -> bool:
        try:
            return bool(await self._fill(keys=[version_key, key], args=[version, value, ttl]))
        except (RedisError, OSError) as exc:
            raise CacheError(str(exc)) from exc

    async def bump(self, version_key: str, *delete: str) -> None:
        try:
            await self._bump(keys=[version_key, *delete], args=[VERSION_TTL_SECONDS])
        except (RedisError, OSError) as exc:
            raise CacheError(str(exc)) from exc

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        try:
            count, ttl = await self._hit(keys=[key], args=[window])
        except (RedisError, OSError) as exc:
            raise CacheError(str(exc)) from exc
        return int(count), int(ttl)

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise CacheError(str(exc)) from exc

    async def close(self) -> None:
        await self._redis.aclose()
