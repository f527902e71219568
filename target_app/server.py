"""Run the API under uvicorn: ``python -m target_app.server --port 8000 --workers 2``.

``loadgate serve`` starts this in a process of its own, so nothing the CLI imported (Locust
patches the standard library with gevent) reaches the server. uvicorn's own log lines go out as
JSON too, and its access log is off: the API logs requests itself (at DEBUG). uvicorn's
forwarded-header handling is off (by default it believes ``X-Forwarded-For`` from 127.0.0.1): the
app honours those headers only from ``TRUSTED_PROXIES``.

Stopping: SIGTERM with ``SHUTDOWN_DRAIN_SECONDS`` set drains first (target_app/draining.py); a
second SIGTERM, or SIGINT, stops at once. Idle keep-alive connections stay open 75 s, longer
than nginx's upstream keep-alive (60 s, config/nginx) and cloud balancers' idle timeouts (60 s),
so it is always the balancer that closes an idle connection, never the server under its request.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from target_app import draining
from target_app.settings import get_settings

KEEP_ALIVE_S = 75
GRACEFUL_S = 10
STARTUP_FAILURE = 3  # uvicorn's exit code for a server that never started

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "target_app.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


class DrainingServer(uvicorn.Server):
    """uvicorn's server, but the first SIGTERM starts a drain of ``drain_s`` seconds (uvicorn has
    no such hook: it closes the socket and idle connections at once)."""

    def __init__(self, config: uvicorn.Config, drain_s: float) -> None:
        super().__init__(config)
        self.drain_s = drain_s
        self.drain_until: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain_s > 0 and self.drain_until is None:
            self.drain_until = time.monotonic() + self.drain_s
            self._captured_signals.append(sig)  # re-raised after the shutdown, as uvicorn does
            draining.begin()
            logging.getLogger("uvicorn.error").info(
                "SIGTERM: draining for %.1f s (unready, Connection: close) before the shutdown", self.drain_s)
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self.drain_until is not None and time.monotonic() >= self.drain_until:
            self.should_exit = True
        return await super().on_tick(counter)


def run(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
        app: str = "target_app.main:create_app") -> None:
    """Serve the app factory ``app`` with ``workers`` processes (uvloop and httptools when present)."""
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers, access_log=False,
                            log_config=LOG_CONFIG, lifespan="on", timeout_graceful_shutdown=GRACEFUL_S,
                            timeout_keep_alive=KEEP_ALIVE_S, server_header=False, proxy_headers=False)
    if workers > 1:
        # uvicorn's supervisor builds each worker's server itself, in a spawned process: no drain
        # there. The shipped set-ups run one worker per replica (k8s, compose, --replicas).
        if get_settings().SHUTDOWN_DRAIN_SECONDS:
            logging.getLogger("uvicorn.error").warning(
                "SHUTDOWN_DRAIN_SECONDS applies to one worker per process; with --workers %d it is ignored",
                workers)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    config.load_app()
    server = DrainingServer(config, get_settings().SHUTDOWN_DRAIN_SECONDS)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m target_app.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--app", default="target_app.main:create_app", help="an app factory, module:function")
    args = parser.parse_args(argv)
    run(args.host, args.port, args.workers, args.app)


if __name__ == "__main__":
    main()
