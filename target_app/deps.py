"""Dependencies, as ``Annotated`` aliases so a route reads like its signature:

    @router.get("/tasks/{id}")
    async def read_task(id: str, user: CurrentUser, store: StoreDep, cache: CacheDep): ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from target_app.caching import GuardedCache
from target_app.events import EventPublisher
from target_app.hotpath import PRINCIPAL
from target_app.problems import Problem
from target_app.ratelimit import RateLimiter
from target_app.security import InvalidToken, Passwords, Principal, TokenService, bearer_token
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
    passwords: Passwords
    events: EventPublisher | None = None  # set by the lifespan, once the store is built


async def get_services(request: Request) -> Services:
    """The app's services (set up by the lifespan)."""
    return request.app.state.services


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.services.settings


async def get_store(request: Request) -> GuardedStore:
    return request.app.state.services.store


async def get_cache(request: Request) -> GuardedCache:
    return request.app.state.services.cache


async def get_events(request: Request) -> EventPublisher:
    return request.app.state.services.events


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GuardedStore, Depends(get_store)]
CacheDep = Annotated[GuardedCache, Depends(get_cache)]
EventsDep = Annotated[EventPublisher, Depends(get_events)]


async def get_passwords(request: Request) -> Passwords:
    return request.app.state.services.passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def get_current_user(request: Request) -> Principal:
    """The caller a valid bearer token names, counted against their rate limit; else 401.

    One dependency rather than a chain of them: it runs on every authenticated request, and each
    FastAPI dependency costs several microseconds. Without a valid token the request counts
    against the client IP's limit before the 401.
    """
    already = request.scope.get("state", {}).get(PRINCIPAL)  # by target_app.hotpath
    if already is not None:
        return already
    services: Services = request.app.state.services
    token = bearer_token(request.headers.get("authorization", ""))
    principal, reason = None, "Not authenticated: send 'Authorization: Bearer <token>'."
    if token:
        try:
            principal = services.tokens.check(token)
        except InvalidToken as exc:
            reason = f"Invalid access token: {exc}."
    if services.limiter is not None:
        if principal is None:
            await services.limiter.check("ip", _client_ip(request))
        else:
            await services.limiter.check("user", principal.user_id)
    if principal is None:
        raise _unauthorized(reason)
    return principal


async def limit_by_ip(request: Request) -> None:
    """Count an anonymous request (register, login) against the client IP's limit."""
    limiter: RateLimiter | None = request.app.state.services.limiter
    if limiter is not None:
        await limiter.check("ip", _client_ip(request))


CurrentUser = Annotated[Principal, Depends(get_current_user)]
RateLimitedByIp = Depends(limit_by_ip)
