"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.responses import Response

from target_app import draining, metrics
from target_app.deps import ServicesDep
from target_app.models import Health, Readiness
from target_app.render import dumps, json_response
from target_app.store import StoreUnavailable

router = APIRouter(tags=["health"])

PING_TIMEOUT_S = 1.0


@router.get("/health", response_model=Health)
async def health(services: ServicesDep):
    """Liveness: the process answers. Says which store, cache and queue it runs on."""
    return json_response(dumps({"status": "ok", "store": services.store.kind, "cache": services.cache.kind,
                                "queue": services.events.kind if services.events else "none"}))


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(services: ServicesDep):
    """Readiness: 200 when the store answers, else 503; 503 with ``draining: true`` once the
    process is stopping (target_app/draining.py).

    The cache's state is reported but does not make the API unready: without it the API still
    answers correctly from the store, so taking every replica out of service when Redis is down
    would turn a slowdown into an outage. These pings go through the circuit breakers, so
    readiness probes alone close them again once the servers are back.
    """
    async def store_ok() -> bool:
        try:
            await asyncio.wait_for(services.store.ping(), PING_TIMEOUT_S)
        except (StoreUnavailable, TimeoutError):
            return False
        return True

    async def cache_ok() -> bool:
        try:
            return await asyncio.wait_for(services.cache.ping(), PING_TIMEOUT_S)
        except TimeoutError:
            return False

    store_up, cache_up = await asyncio.gather(store_ok(), cache_ok())
    body = {"ready": store_up, "store": "ok" if store_up else "unreachable",
            "cache": "none" if services.cache.kind == "none" else "ok" if cache_up else "unreachable"}
    if draining.active():
        body |= {"ready": False, "draining": True}
    return json_response(dumps(body), 200 if body["ready"] else 503)


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """Prometheus exposition (added up across worker processes)."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
