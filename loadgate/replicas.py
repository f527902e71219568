"""Several API processes behind nginx on this machine: ``loadgate serve --replicas N``.

    code = serve_replicas(2, "127.0.0.1", 8000, workers=1, env=env, say=print)
    # 2 replicas on free 127.0.0.1 ports, nginx on 127.0.0.1:8000 in front of them (the template
    # of loadgate.balancer); returns when SIGTERM / SIGINT arrives or nginx stops

Every child dies with this process (``loadgate.processes.die_with_parent``). The replicas share
one ``PROMETHEUS_MULTIPROC_DIR`` (``loadgate serve`` makes it), so any replica's ``/metrics``, and
therefore ``/metrics`` through the balancer, adds up the counters of all of them: the harness's
probe and a Prometheus scrape see the whole API without knowing its replicas.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from loadgate.balancer import start_balancer
from loadgate.errors import InputError
from loadgate.paths import free_port
from loadgate.processes import die_with_parent

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1.0) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _wait_healthy(urls: list[str], procs: list[subprocess.Popen], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    for url in urls:
        while not _healthy(url):
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise InputError(f"{what} at {url} did not become healthy (a process exited or "
                                 f"{START_TIMEOUT_S:.0f}s passed)")
            time.sleep(0.1)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_replicas(replicas: int, host: str, port: int, workers: int, env: dict[str, str],
                   say: Callable[[str], None]) -> int:
    """Run ``replicas`` API processes (``workers`` uvicorn workers each) behind nginx on
    ``host:port`` until SIGTERM / SIGINT (exit 0) or until nginx or every replica stops (exit 1)."""
    stop = {"asked": False}

    def on_signal(_signum: int, _frame: object) -> None:
        stop["asked"] = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    workdir = Path(tempfile.mkdtemp(prefix="loadgate-replicas-"))
    apis: list[subprocess.Popen] = []
    nginx: subprocess.Popen | None = None
    try:
        backends = []
        for _ in range(replicas):
            backend = f"127.0.0.1:{free_port()}"
            apis.append(subprocess.Popen(
                [sys.executable, "-m", "target_app.server", "--host", "127.0.0.1",
                 "--port", backend.rsplit(":", 1)[1], "--workers", str(workers)],
                env=env, preexec_fn=die_with_parent))
            backends.append(backend)
        _wait_healthy([f"http://{b}" for b in backends], apis, "an API replica")
        nginx = start_balancer(host, port, backends, workdir)
        _wait_healthy([f"http://{host}:{port}"], [nginx], "nginx")
        say(f"loadgate serve: {replicas} replicas ({', '.join(backends)}) behind nginx on "
            f"http://{host}:{port}")
        while not stop["asked"]:
            if nginx.poll() is not None or all(p.poll() is not None for p in apis):
                log = (workdir / "error.log").read_text(errors="replace").strip().splitlines()[-1:]
                say(f"loadgate serve: {'nginx' if nginx.poll() is not None else 'every replica'} "
                    f"stopped {log[0] if log else ''}".rstrip())
                return 1
            time.sleep(0.2)
        return 0
    finally:
        _stop([p for p in (nginx,) if p is not None])  # no new requests first, then the replicas
        _stop(apis)
        shutil.rmtree(workdir, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
