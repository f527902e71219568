"""The outermost layer of every request: request id, latency metric, request log, last-resort 500.

A plain ASGI middleware (not ``BaseHTTPMiddleware``), because it runs on every request of a
load test and must cost next to nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from target_app import draining, metrics
from target_app.context import request_id_var, route_of, scope_var
from target_app.logs import logger
from target_app.problems import problem_response

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_CLOSE = (b"connection", b"close")
CLIENT_CLOSED = 499  # nginx's code for a client that went away before the answer


class RequestContextMiddleware:
    """Takes ``X-Request-ID`` (or makes one), echoes it, times and logs the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        if request_id is None or not _SAFE_ID.match(request_id):
            request_id = os.urandom(16).hex()
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        outcome: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                outcome["started"] = True
                message["headers"] = [*message.get("headers", ()), id_header]
                if draining.active():  # uvicorn closes the connection after this answer
                    message["headers"].append(_CLOSE)
            await send(message)

        id_token = request_id_var.set(request_id)
        scope_token = scope_var.set(scope)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            outcome["status"] = CLIENT_CLOSED
            raise
        except Exception:
            logger.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            outcome["status"] = 500
            if not outcome["started"]:
                response = problem_response(500, "An unexpected error occurred; it has been logged.",
                                            instance=scope["path"])
                await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            status = outcome["status"]
            route = route_of(scope)
            metrics.observe_request(scope["method"], route, status, elapsed)
            if status >= 500 and status != CLIENT_CLOSED:
                logger.warning("request failed", extra=_fields(scope, route, status, elapsed))
            elif logger.isEnabledFor(logging.DEBUG):
                logger.debug("request", extra=_fields(scope, route, status, elapsed))
            request_id_var.reset(id_token)
            scope_var.reset(scope_token)


def _fields(scope: Scope, route: str, status: int, elapsed: float) -> dict[str, Any]:
    return {"method": scope["method"], "path": scope["path"], "route": route, "status": status,
            "duration_ms": round(elapsed * 1000, 3)}
