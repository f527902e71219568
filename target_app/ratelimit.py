"""Rate limiting per user (per client IP when anonymous), in fixed windows kept in the cache.

With Redis the count is shared by every worker and replica (one atomic INCR script); with the
in-process cache it is per process. When the cache is unreachable requests are let through:
availability first, the limiter is a guard against abuse, not a correctness property.
"""

from __future__ import annotations

from target_app import metrics
from target_app.caching import GuardedCache
from target_app.problems import RATE_LIMITED_TYPE, Problem
from target_app.settings import RateLimit


class RateLimiter:
    """``limit.requests`` per ``limit.seconds`` per caller."""

    def __init__(self, limit: RateLimit, cache: GuardedCache) -> None:
        self.limit = limit
        self._cache = cache

    async def check(self, scope: str, caller: str) -> None:
        """Count a request of ``caller`` (scope ``user`` or ``ip``); 429 past the limit."""
        counted = await self._cache.hit(f"ta:rl:{scope}:{caller}", self.limit.seconds)
        if counted is None:
            return
        count, seconds_left = counted
        if count > self.limit.requests:
            metrics.count_rate_limited(scope)
            raise Problem(
                429, f"Rate limit of {self.limit.requests} requests per {self.limit.seconds} s exceeded; "
                     f"retry in {seconds_left} s.",
                type_=RATE_LIMITED_TYPE, headers={"Retry-After": str(max(1, seconds_left))})
