"""The app factory: ``uvicorn --factory target_app.main:create_app`` (what ``loadgate serve`` runs).

    app = create_app(Settings(MONGODB_URL="mongodb://127.0.0.1:27017", REDIS_URL="redis://..."))
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from target_app import metrics
from target_app.breaker import CircuitBreaker
from target_app.cache import make_cache
from target_app.caching import GuardedCache
from target_app.deps import Services
from target_app.events import EventPublisher
from target_app.events.publisher import Transport
from target_app.hotpath import CachedListReads
from target_app.logs import configure_logging, logger
from target_app.middleware import RequestContextMiddleware
from target_app.openapi import install_openapi
from target_app.problems import install_problem_handlers
from target_app.ratelimit import RateLimiter
from target_app.routers import admin, analytics, auth, health, tasks, users
from target_app.security import Passwords, TokenService, password_hasher
from target_app.settings import Settings, get_settings
from target_app.store import StoreUnavailable, make_store
from target_app.store.guarded import GuardedStore

SETUP_RETRY_SECONDS = 2.0


def build_services(settings: Settings) -> Services:
    """Store, cache, tokens and limiter, each behind what guards it."""
    def publish(name: str, state: int) -> None:
        metrics.set_breaker_state(name, state)

    store = GuardedStore(make_store(settings), CircuitBreaker(
        "store", failures=settings.BREAKER_FAILURES, reset_seconds=settings.BREAKER_RESET_SECONDS,
        on_change=publish))
    cache = GuardedCache(make_cache(settings), CircuitBreaker(
        "cache", failures=settings.BREAKER_FAILURES, reset_seconds=settings.BREAKER_RESET_SECONDS,
        on_change=publish))
    limit = settings.rate_limit
    return Services(settings=settings, store=store, cache=cache,
                    tokens=TokenService(settings.JWT_SECRET, settings.ACCESS_TOKEN_MINUTES),
                    limiter=RateLimiter(limit, cache) if limit else None,
                    passwords=Passwords(password_hasher(settings), pool_size=settings.hash_pool_size,
                                        queue_depth=settings.hash_queue_depth))


def build_events(settings: Settings, services: Services) -> EventPublisher:
    """RabbitMQ when ``AMQP_URL`` is set, else the in-process queue this process consumes itself."""
    breaker = CircuitBreaker("queue", failures=settings.BREAKER_FAILURES,
                             reset_seconds=settings.BREAKER_RESET_SECONDS,
                             on_change=metrics.set_breaker_state)
    if settings.AMQP_URL:
        from target_app.events.amqp import AmqpTransport

        transport: Transport = AmqpTransport(settings.AMQP_URL, timeout_s=settings.AMQP_TIMEOUT_MS / 1000)
    else:
        from target_app.events.memory import MemoryTransport
        from target_app.worker.handlers import Handlers
        from target_app.worker.mail import make_mailer

        transport = MemoryTransport(Handlers(services.store, services.cache, make_mailer(settings), settings),
                                    settings)
    return EventPublisher(transport, services.store, breaker, settings)


async def _set_up_store(store: GuardedStore) -> None:
    """Create tables and indexes, retrying in the background while the store is unreachable."""
    while True:
        try:
            await store.inner.setup()
        except StoreUnavailable as exc:
            logger.error("store unreachable at start-up; retrying", extra={"error": str(exc)})
            await asyncio.sleep(SETUP_RETRY_SECONDS)
        else:
            logger.info("store ready: collections and indexes in place", extra={"store": store.kind})
            return


SHUTDOWN_STEP_S = 10.0
"""Longest wait for one service to close at shutdown: a server that stopped answering must not
hold the process (or a test's teardown) forever."""


async def _bounded_close(name: str, closing) -> None:
    # asyncio.wait, not wait_for: wait_for would wait for the cancelled close to finish as well.
    task = asyncio.ensure_future(closing)
    done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_STEP_S)
    if not done:
        task.cancel()
        logger.warning("%s did not close within %.0fs at shutdown; left behind", name, SHUTDOWN_STEP_S,
                       extra={"service": name})
    elif task.exception() is not None:
        logger.warning("%s failed to close: %r", name, task.exception(), extra={"service": name})


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. Without arguments, settings come from the environment."""
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        services.events = build_events(settings, services)
        app.state.services = services
        embedded = [name for name, var in (("sqlite", settings.MONGODB_URL), ("memory", settings.REDIS_URL),
                                           ("memory", settings.AMQP_URL)) if not var]
        logger.info(
            "taskapi starting: store=%s cache=%s queue=%s%s", services.store.kind, services.cache.kind,
            services.events.kind,
            " (embedded defaults: set MONGODB_URL / REDIS_URL / AMQP_URL for real servers)"
            if embedded else "",
            extra={"store": services.store.kind, "cache": services.cache.kind, "queue": services.events.kind,
                   "environment": settings.ENVIRONMENT,
                   "sqlite_path": settings.SQLITE_PATH if not settings.MONGODB_URL else None,
                   "rate_limit": settings.RATE_LIMIT if settings.rate_limit else "off", "pid": os.getpid()})
        try:
            await asyncio.wait_for(_set_up_store(services.store), settings.STORE_TIMEOUT_MS / 1000 * 2)
            setup_task = None
        except TimeoutError:
            setup_task = asyncio.create_task(_set_up_store(services.store))
        if not settings.AMQP_URL:
            logger.info("events on an in-process queue: handled by this process, lost if it stops "
                           "before handling them; set AMQP_URL for RabbitMQ and `loadgate serve-worker`")
        await services.events.start()
        # Start-up objects live for the whole process: keep them out of every future GC pass.
        gc.freeze()
        try:
            yield
        finally:
            if setup_task is not None:
                setup_task.cancel()
            for name, closing in (("events", services.events.close()), ("store", services.store.close()),
                                  ("cache", services.cache.close())):
                await _bounded_close(name, closing)
            services.passwords.close()
            metrics.mark_process_dead(os.getpid())

    app = FastAPI(
        title="Task API", version="1.0.0", lifespan=lifespan,
        summary="The task-management API that loadgate load-tests.",
    )
    install_problem_handlers(app)
    for module in (auth, users, tasks, analytics, health):
        app.include_router(module.router)
    if settings.SEED_TOKEN:
        app.include_router(admin.router)
    install_openapi(app)
    app.add_middleware(CachedListReads)  # inner: runs within the request context
    app.add_middleware(RequestContextMiddleware)
    if settings.trusted_proxies:
        # Outermost, so the request log and the rate limiter see the client the proxy names.
        # uvicorn's own handling is off (target_app.server): only these proxies are believed.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
