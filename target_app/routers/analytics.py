"""Per-user task analytics, from a MongoDB aggregation (FerretDB-safe), cached briefly."""

from __future__ import annotations

from fastapi import APIRouter

from target_app.caching import analytics_key
from target_app.deps import CacheDep, CurrentUser, SettingsDep, StoreDep
from target_app.models import Analytics
from target_app.render import dumps, json_response
from target_app.store.base import STATUSES, utcnow

router = APIRouter(tags=["analytics"])


@router.get("/analytics", response_model=Analytics)
async def analytics(user: CurrentUser, store: StoreDep, cache: CacheDep, settings: SettingsDep):
    """Counts by status, how many open tasks are overdue, and the share done."""
    found = await cache.lookup("analytics", user.user_id, analytics_key(user.user_id), versioned=True)
    if found.value is not None:
        return json_response(found.value)
    stats = await store.task_stats(user.user_id, utcnow())
    counts = {status: int(stats["counts"].get(status, 0)) for status in STATUSES}
    total = sum(counts.values())
    body = dumps({"counts": counts, "total": total, "overdue": int(stats["overdue"]),
                  "completion_rate": round(counts["done"] / total, 4) if total else 0.0})
    await cache.fill(found, body, settings.ANALYTICS_CACHE_SECONDS)
    return json_response(body)
