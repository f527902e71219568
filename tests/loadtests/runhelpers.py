"""Helpers for the load-generation tests: run ``loadgate`` as a subprocess, write scenarios.

Locust monkey-patches whatever process imports it, and this pytest process also runs the API's
asyncio tests: so every Locust run here is a ``loadgate`` subprocess, and nothing in this folder
imports Locust at module level (``harness_users.py`` is loaded by the subprocesses only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from testsupport.verdicts import expected_or_saturated

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

NOMINAL_CYCLE_US = [300] * 2 + [4_700] * 7 + [123_400]
"""The exact-latency test server's deterministic mix, per 10 requests: 20 % 0.3 ms, 70 % 4.7 ms,
10 % 123.4 ms (not whole milliseconds, where Locust's rounding shows)."""
STALL_AT_S = 3.0
"""The stall test server stalls this long after its first request ..."""
STALL_S = 1.0
"""... for this long."""
FAILED_LOGINS = 4
"""The flaky-login test server refuses this many sign-ins (503) before it lets users in."""
RETRY_AFTER_S = 2
"""The overloaded-login test server asks for this many seconds between sign-ins."""


def loadgate_env(**extra: str) -> dict[str, str]:
    """Our environment, with this folder importable (harness_users) and no inherited servers."""
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def loadgate(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
             cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``loadgate ARGS`` to completion and return it (output captured as text)."""
    return subprocess.run([sys.executable, "-m", "loadgate.cli", *args], cwd=cwd, env=env or loadgate_env(),
                          capture_output=True, text=True, timeout=timeout)


def loadgate_bg(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``loadgate ARGS`` in the background (stdout and stderr merged, as text)."""
    return subprocess.Popen([sys.executable, "-m", "loadgate.cli", *args], cwd=ROOT,
                            env=env or loadgate_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def write_scenario(folder: Path, name: str = "test", **fields) -> Path:
    """A scenario file with ``fields`` (YAML-able values) in ``folder``."""
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, **fields}, sort_keys=False))
    return path


def the_run(out: Path) -> Path:
    """The one finished run directory in ``out`` (and no partial one left behind)."""
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, f"expected one run directory in {out}, found {[p.name for p in runs]}"
    assert not runs[0].name.startswith("."), f"run directory left partial: {runs[0]}"
    return runs[0]


class Running:
    """A ``loadgate`` command in the background whose merged output is collected as it comes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        import threading

        self.proc = loadgate_bg(*args, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()

    def output(self) -> str:
        return "".join(self.lines)[-3000:]

    def wait_measuring(self, timeout: float = 90) -> None:
        """Until the live status line shows (measurement has begun)."""
        import time

        deadline = time.monotonic() + timeout
        while not any("users" in line and "rps" in line for line in self.lines):
            assert self.proc.poll() is None and time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def descendants(self, argument: str) -> list:
        """Live descendant processes (psutil) with ``argument`` in their command line
        (``worker``, ``serve``, ``target_app.server``)."""
        import psutil

        return [p for p in psutil.Process(self.proc.pid).children(recursive=True)
                if argument in p.cmdline()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._reader.join(timeout=5)


def gone_within(processes: list, timeout: float) -> list:
    """Those of ``processes`` (psutil) still alive after ``timeout`` seconds."""
    import psutil

    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive


SLOW_S = 0.05
"""The slow test server's service time for every request (conftest's slow_server)."""


def assert_verdict(run: Path, returncode: int, expected: tuple[str, ...], detail: str = "") -> dict:
    """``run``'s verdict.json is one of ``expected`` — or INVALID for generator saturation alone,
    which a loaded 2-core box gives a short run (testsupport.verdicts) — and ``returncode`` is its
    exit code. Returns the verdict, whose criteria a test still checks."""
    verdict = json.loads((run / "verdict.json").read_text())
    assert any(expected_or_saturated(verdict, e) for e in expected), (verdict, detail[-3000:])
    assert returncode == verdict["exit_code"], detail[-3000:]
    return verdict
