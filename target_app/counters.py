"""A user's analytics counters, as the ``GET /analytics`` body.

Computing them is two aggregations over the user's tasks: the worker does it after every change
of a task (the ``taskapi.analytics`` queue) and fills the cache, so ``/analytics`` is a cache hit;
the request path computes them only when the cache has nothing (expired, or no worker yet).
"""

from __future__ import annotations

from target_app.caching import GuardedCache, analytics_key
from target_app.render import dumps
from target_app.store.base import STATUSES, utcnow
from target_app.store.guarded import GuardedStore


async def analytics_body(store: GuardedStore, user_id: str) -> bytes:
    """Counts by status, how many open tasks are overdue, and the share done, as JSON."""
    stats = await store.task_stats(user_id, utcnow())
    counts = {status: int(stats["counts"].get(status, 0)) for status in STATUSES}
    total = sum(counts.values())
    return dumps({"counts": counts, "total": total, "overdue": int(stats["overdue"]),
                  "completion_rate": round(counts["done"] / total, 4) if total else 0.0})


async def recompute_analytics(store: GuardedStore, cache: GuardedCache, user_id: str, ttl: int) -> None:
    """Compute a user's counters and cache them under the current version of their data.

    The version is read before computing: a write that lands meanwhile bumps it, and this fill
    goes under the old version, which no reader asks for.
    """
    found = await cache.lookup("analytics", user_id, analytics_key(user_id), versioned=True)
    if found.version is None:
        return  # cache unreachable: nothing to fill
    await cache.fill(found, await analytics_body(store, user_id), ttl)
