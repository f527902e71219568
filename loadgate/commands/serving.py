"""CLI commands: ``loadgate serve``, the task API (target_app) under uvicorn, and
``loadgate serve-worker``, its background worker.

    loadgate serve                              # embedded SQLite store and in-process cache
    loadgate serve --replicas 2 --port 8000     # 2 API processes behind nginx on port 8000
    MONGODB_URL=mongodb://… REDIS_URL=redis://… loadgate serve --port 8000 --workers 4
    AMQP_URL=amqp://… SMTP_URL=smtp://… loadgate serve-worker --metrics-port 9101
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from loadgate.errors import EXIT_USAGE


def register(app: typer.Typer) -> None:
    """Add this module's commands to the loadgate app."""
    app.command()(serve)
    app.command("serve-worker")(serve_worker)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    replicas: Annotated[int, typer.Option(
        min=1, max=64, help="API processes on free 127.0.0.1 ports behind nginx on --host:--port "
                            "(docs/loadbalancer.md).")] = 1,
) -> None:
    """Run the task API. Settings come from the environment (docs/api.md); without MONGODB_URL and
    REDIS_URL it runs on an embedded SQLite store and an in-process cache, and says so. With
    --replicas N, N API processes (of --workers each) run behind Debian's nginx."""
    from target_app.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            typer.echo(f"loadgate serve: {where + ': ' if where else ''}{error['msg']}", err=True)
        raise typer.Exit(EXIT_USAGE) from None

    env = dict(os.environ)
    processes = workers * replicas
    if processes > 1 and settings.cache_kind == "memory":
        # Each process would have its own cache and serve what another process changed.
        env["CACHE_BACKEND"] = "none"
        several = "workers" if replicas == 1 else "API processes"
        typer.echo(f"loadgate serve: several {several} and no REDIS_URL: caching off (CACHE_BACKEND=none)",
                   err=True)
    owned_dir = None
    if env.get("PROMETHEUS_MULTIPROC_DIR"):
        _clear_metric_files(Path(env["PROMETHEUS_MULTIPROC_DIR"]))
    elif processes > 1:  # one directory for every process: each /metrics adds up all of them
        owned_dir = tempfile.mkdtemp(prefix="loadgate-metrics-")
        env["PROMETHEUS_MULTIPROC_DIR"] = owned_dir

    command = [sys.executable, "-m", "target_app.server", "--host", host, "--port", str(port),
               "--workers", str(workers)]
    try:
        if replicas > 1:
            from loadgate.errors import InputError
            from loadgate.replicas import serve_replicas

            try:
                raise typer.Exit(serve_replicas(replicas, host, port, workers, env,
                                                lambda line: typer.echo(line, err=True)))
            except InputError as exc:
                typer.echo(f"loadgate serve: {exc}", err=True)
                raise typer.Exit(EXIT_USAGE) from None
        raise typer.Exit(_run_forwarding_signals(command, env))
    finally:
        if owned_dir:
            shutil.rmtree(owned_dir, ignore_errors=True)


def serve_worker(
    metrics_port: Annotated[int, typer.Option(min=0, max=65535,
                                              help="Serve the worker's /metrics here (0: none).")] = 0,
) -> None:
    """Run the background worker: consume the API's events from RabbitMQ (AMQP_URL), send the
    emails (SMTP_URL), recompute analytics counters. Settings as for serve (docs/queue.md)."""
    from target_app.settings import Settings

    env = dict(os.environ)
    if metrics_port:
        env["WORKER_METRICS_PORT"] = str(metrics_port)
    try:
        overrides: dict[str, Any] = {"WORKER_METRICS_PORT": metrics_port} if metrics_port else {}
        settings = Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            typer.echo(f"loadgate serve-worker: {where + ': ' if where else ''}{error['msg']}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if not settings.AMQP_URL:
        typer.echo("loadgate serve-worker: AMQP_URL: not set; the worker consumes RabbitMQ "
                   "(without it the API handles its events itself)", err=True)
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(_run_forwarding_signals([sys.executable, "-m", "target_app.worker"], env))


def _clear_metric_files(directory: Path) -> None:
    """prometheus-client wants the multiprocess directory empty of an earlier run's files."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def _run_forwarding_signals(command: list[str], env: dict[str, str]) -> int:
    """Run the server, passing SIGTERM / SIGINT on so it shuts down gracefully; its exit code
    (128 + the signal when it ended by one: uvicorn re-raises SIGTERM after a clean shutdown)."""
    from loadgate.processes import die_with_parent

    proc = subprocess.Popen(command, env=env, preexec_fn=die_with_parent)  # never outlives us

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = proc.wait()
        return 128 - code if code < 0 else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
