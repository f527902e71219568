"""One's own profile, cached for a day and invalidated when it changes."""

from __future__ import annotations

from fastapi import APIRouter

from target_app.caching import user_key
from target_app.deps import CacheDep, CurrentUser, EventsDep, SettingsDep, StoreDep
from target_app.events.model import PROFILE_CHANGED
from target_app.models import UserPublic, UserUpdate
from target_app.problems import CONFLICT_TYPE, Problem
from target_app.render import dumps, json_response, public_user
from target_app.store import Conflict
from target_app.store.base import utcnow

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserPublic)
async def read_me(user: CurrentUser, store: StoreDep, cache: CacheDep, settings: SettingsDep):
    """The caller's profile."""
    found = await cache.lookup("user", user.user_id, user_key(user.user_id), versioned=False)
    if found.value is not None:
        return json_response(found.value)
    profile = await store.get_user(user.user_id)
    if profile is None:
        raise Problem(404, "This account no longer exists.")
    body = dumps(public_user(profile))
    await cache.fill(found, body, settings.USER_CACHE_SECONDS)
    return json_response(body)


@router.patch("/me", response_model=UserPublic)
async def update_me(changes: UserUpdate, user: CurrentUser, store: StoreDep, cache: CacheDep,
                    events: EventsDep):
    """Change the caller's name or email (409 if the email is taken)."""
    fields = changes.model_dump(exclude_unset=True)
    if fields:
        fields["updatedAt"] = utcnow()
        try:
            profile = await store.update_user(user.user_id, fields)
        except Conflict:
            raise Problem(409, "An account with this email already exists.", type_=CONFLICT_TYPE) from None
        await cache.invalidate(user.user_id, user_key(user.user_id))
        if profile is not None:
            await events.publish(PROFILE_CHANGED, {"userId": user.user_id,
                                                   "fields": sorted(k for k in fields if k != "updatedAt")})
    else:
        profile = await store.get_user(user.user_id)
    if profile is None:
        raise Problem(404, "This account no longer exists.")
    return json_response(dumps(public_user(profile)))
