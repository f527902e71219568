"""Run the API under uvicorn: ``python -m target_app.server --port 8000 --workers 2``.

``loadgate serve`` starts this in a process of its own, so nothing the CLI imported (Locust
patches the standard library with gevent) reaches the server. uvicorn's own log lines go out as
JSON too, and its access log is off: the API logs requests itself (at DEBUG). uvicorn's
forwarded-header handling is off (by default it believes ``X-Forwarded-For`` from 127.0.0.1): the
app honours those headers only from ``TRUSTED_PROXIES``.
"""

from __future__ import annotations

import argparse

import uvicorn

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


def run(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
        app: str = "target_app.main:create_app") -> None:
    """Serve the app factory ``app`` with ``workers`` processes (uvloop and httptools when present)."""
    uvicorn.run(app, factory=True, host=host, port=port, workers=workers, access_log=False,
                log_config=LOG_CONFIG, lifespan="on", timeout_graceful_shutdown=10,
                server_header=False, proxy_headers=False)


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
