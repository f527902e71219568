"""The system under test: the scenario's URL, or ``local``: the API started here for this run.

    api = LocalApi.start(scenario)          # `loadgate serve` on a free 127.0.0.1 port
    api.url, api.kind
    # -> ('http://127.0.0.1:40123', 'local (sqlite + memory)')
    api.topology                            # replicas, workers each, balancer (api_replicas > 1: nginx)
    api.stop()

A local API runs on the embedded defaults, or on MongoDB / Redis when ``MONGODB_URL`` /
``REDIS_URL`` are set in our environment. Rate limiting is off (``RATE_LIMIT=0``) unless the
scenario's ``env`` sets it, and ``SEED_TOKEN`` is a fresh random secret. We reach it over HTTP
only; ``loadtests`` never imports ``target_app``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
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

from loadgate import runformat as rf
from loadgate.balancer import nginx_version
from loadgate.errors import InputError
from loadgate.paths import free_port
from loadgate.processes import die_with_parent
from loadtests.scenario import Scenario

START_TIMEOUT_S = 60.0


class TargetError(InputError):
    """The target cannot be used: it did not start, does not answer, or cannot be seeded."""


def health(url: str, timeout: float = 5.0) -> dict | None:
    """``GET /health`` as a dict, or None when the API does not answer 200."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=timeout) as resp:
            data = json.loads(resp.read())
            return data if isinstance(data, dict) else None
    except (OSError, urllib.error.URLError, ValueError):
        return None


def describe(url: str, local: bool) -> str:
    """``'local (sqlite + memory)'`` or ``'url (mongodb + redis)'`` from the API's health answer."""
    info = health(url) or {}
    where = "local" if local else "url"
    if "store" in info:
        return f"{where} ({info.get('store')} + {info.get('cache')})"
    return where


class LocalApi:
    """`loadgate serve` as a child process, stopped with SIGTERM (then SIGKILL).

    ``restart()`` starts it again on the same port with the same settings and store (a fault).
    """

    def __init__(self, proc: subprocess.Popen, url: str, workdir: Path, seed_token: str,
                 topology: rf.Topology, args: list[str] | None = None, env: dict[str, str] | None = None):
        self.proc, self.url, self.workdir, self.seed_token = proc, url, workdir, seed_token
        self.args, self.env = args or [], env or {}
        self.kind = describe(url, local=True)
        self.topology = topology

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the API and its worker processes (its own session)."""
        with contextlib.suppress(ProcessLookupError):  # it is gone already
            os.killpg(self.proc.pid, sig)

    def restart(self) -> None:
        """Kill the API (SIGKILL) and start it again on the same port; returns once it is healthy."""
        self.signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = _spawn(self.args, self.env, self.workdir)
        _await_health(self.proc, self.url, self.workdir)

    @classmethod
    def start(cls, scenario: Scenario, should_stop: Callable[[], bool] = lambda: False) -> LocalApi:
        port = free_port()
        workdir = Path(tempfile.mkdtemp(prefix="loadgate-api-"))
        seed_token = secrets.token_urlsafe(24)
        env = {
            **os.environ,
            "RATE_LIMIT": "0",
            # A fresh embedded store per run (ignored when MONGODB_URL is set), so runs never
            # accumulate data in the user's default database file.
            "SQLITE_PATH": str(workdir / "taskapi.sqlite3"),
            "LOG_LEVEL": os.environ.get("LOADGATE_API_LOG_LEVEL", "WARNING"),
            **scenario.env,
            "SEED_TOKEN": seed_token,
        }
        args = [sys.executable, "-m", "loadgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(scenario.api_workers), "--replicas", str(scenario.api_replicas)]
        proc = _spawn(args, env, workdir)
        url = f"http://127.0.0.1:{port}"
        _await_health(proc, url, workdir, should_stop)
        balancer = (nginx_version() or "nginx") if scenario.api_replicas > 1 else None
        topology = rf.Topology(replicas=scenario.api_replicas, workers_per_replica=scenario.api_workers,
                               balancer=balancer)
        return cls(proc, url, workdir, seed_token, topology, args, env)

    def stop(self) -> None:
        _terminate(self.proc)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _spawn(args: list[str], env: dict[str, str], workdir: Path) -> subprocess.Popen:
    log = open(workdir / "api.log", "ab")  # noqa: SIM115 - the child writes it for its lifetime
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                            preexec_fn=die_with_parent)  # a killed run leaves no API behind


def _await_health(proc: subprocess.Popen, url: str, workdir: Path,
                  should_stop: Callable[[], bool] = lambda: False) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while health(url, timeout=1.0) is None:
        if proc.poll() is not None or time.monotonic() > deadline or should_stop():
            tail = (workdir / "api.log").read_text(errors="replace").strip().splitlines()[-1:] or [""]
            why = "stopped" if should_stop() else (
                f"exited with {proc.returncode}" if proc.poll() is not None else
                f"not healthy after {START_TIMEOUT_S:.0f}s")
            _terminate(proc)
            raise TargetError(f"local API {why}: {tail[0][:300]} (log: {workdir / 'api.log'})")
        time.sleep(0.1)


def _terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: uvicorn workers go too
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
