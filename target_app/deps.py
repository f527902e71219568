"""Dependencies, as ``Annotated`` aliases so a route reads like its signature:

    @router.get("/tasks/{id}")
    async def read_task(id: str, user: CurrentUser, store: StoreDep, cache: CacheDep): ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from target_app.caching import GuardedCache
from target_app.problems import Problem
from target_app.ratelimit import RateLimiter
from target_app.security import InvalidToken, Principal, TokenService
from target_app.settings import Settings
from target_app.store.guarded import GuardedStore


@dataclass
class Services:
    """What the app builds at start-up and every request shares."""

    settings: Settings
    store: GuardedStore
    cache: GuardedCache
    tokens: TokenService
    limiter: RateLimiter | None


async def get_services(request: Request) -> Services:
    """The app's services (set up by the lifespan)."""
    return request.app.state.services


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.services.settings


async def get_store(request: Request) -> GuardedStore:
    return request.app.state.services.store


async def get_cache(request: Request) -> GuardedCache:
    return request.app.state.services.cache


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GuardedStore, Depends(get_store)]
CacheDep = Annotated[GuardedCache, Depends(get_cache)]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def authenticate(request: Request) -> Principal | None:
    """The caller a valid bearer token names, or None (the reason kept for ``get_current_user``)."""
    header = request.headers.get("authorization")
    if not header:
        request.state.auth_error = "Not authenticated: send 'Authorization: Bearer <token>'."
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        request.state.auth_error = "Not authenticated: send 'Authorization: Bearer <token>'."
        return None
    try:
        return request.app.state.services.tokens.check(token.strip())
    except InvalidToken as exc:
        request.state.auth_error = f"Invalid access token: {exc}."
        return None


async def rate_limit(request: Request, principal: Annotated[Principal | None, Depends(authenticate)]) -> None:
    """Count the request against its caller's limit: the user, or the client IP when anonymous."""
    limiter: RateLimiter | None = request.app.state.services.limiter
    if limiter is None:
        return
    if principal is not None:
        await limiter.check("user", principal.user_id)
    else:
        await limiter.check("ip", request.client.host if request.client else "unknown")


async def get_current_user(
    request: Request, principal: Annotated[Principal | None, Depends(authenticate)]
) -> Principal:
    """The authenticated caller; 401 without a valid token."""
    if principal is None:
        raise _unauthorized(getattr(request.state, "auth_error", "Not authenticated."))
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]
RateLimited = Depends(rate_limit)
