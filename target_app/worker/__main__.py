"""``python -m target_app.worker``: the background worker (what ``loadgate serve-worker`` runs)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from pydantic import ValidationError


def main() -> int:
    from target_app.logs import configure_logging, logger
    from target_app.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            print(f"taskapi worker: {where + ': ' if where else ''}{error['msg']}", file=sys.stderr)
        return 2
    if not settings.AMQP_URL:
        print("taskapi worker: AMQP_URL: not set; the worker consumes RabbitMQ "
              "(without it the API handles its events itself)", file=sys.stderr)
        return 2
    configure_logging(settings.LOG_LEVEL)
    if settings.WORKER_METRICS_PORT:
        from prometheus_client import start_http_server

        start_http_server(settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_HOST)
    from target_app.worker.consumer import run_worker

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        logger.info("taskapi worker starting", extra={"pid": os.getpid(), "store": settings.store_kind,
                                                      "cache": settings.cache_kind})
        await run_worker(settings, stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
