"""Per-user task analytics, from a MongoDB aggregation (FerretDB-safe), cached briefly.

The worker recomputes them after every change of a task (target_app.counters), so this is
normally a cache hit; on a miss they are computed here.
"""

from __future__ import annotations

from fastapi import APIRouter

from target_app.caching import analytics_key
from target_app.counters import analytics_body
from target_app.deps import CacheDep, CurrentUser, SettingsDep, StoreDep
from target_app.models import Analytics
from target_app.render import json_response

router = APIRouter(tags=["analytics"])


@router.get("/analytics", response_model=Analytics)
async def analytics(user: CurrentUser, store: StoreDep, cache: CacheDep, settings: SettingsDep):
    """Counts by status, how many open tasks are overdue, and the share done."""
    found = await cache.lookup("analytics", user.user_id, analytics_key(user.user_id), versioned=True)
    if found.value is not None:
        return json_response(found.value)
    body = await analytics_body(store, user.user_id)
    await cache.fill(found, body, settings.ANALYTICS_CACHE_SECONDS)
    return json_response(body)
