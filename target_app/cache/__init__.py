"""The cache: the ``Cache`` interface, its adapters, and the choice between them."""

from __future__ import annotations

from target_app.cache.base import Cache, CacheError
from target_app.settings import Settings

__all__ = ["Cache", "CacheError", "make_cache"]


def make_cache(settings: Settings) -> Cache:
    """Redis when ``REDIS_URL`` is set (or ``CACHE_BACKEND=redis``), else in-process, or none."""
    kind = settings.cache_kind
    if kind == "redis":
        from target_app.cache.redis import RedisCache

        assert settings.REDIS_URL  # checked by Settings
        return RedisCache(settings.REDIS_URL, timeout_ms=settings.CACHE_TIMEOUT_MS)
    from target_app.cache.memory import MemoryCache, NoCache

    return NoCache() if kind == "none" else MemoryCache()
