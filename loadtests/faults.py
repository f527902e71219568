"""Faults injected during a run (``faults:`` in the scenario): kill, pause or restart a local process.

    injector = FaultInjector.prepare(scenario, api_env, workers=2, source="scenarios/resilience.yaml")
    injector.attach(api, worker_procs)                               # once they run
    gevent.spawn(injector.run, started_at)                           # at measurement start
    injector.records                                                  # -> [FaultRecord(...), ...]

``prepare`` finds every fault's process before anything starts and refuses, with one line naming
the scenario and the fault, what it cannot reach: a store or cache the local API does not use, a
server not on 127.0.0.1 (never contacted), workers the run does not start. ``redis`` and ``store`` are
the processes listening on the port of the local API's ``REDIS_URL`` / ``MONGODB_URL`` (found
with psutil); they are paused or killed, never restarted: the run did not start them. A pause
always ends: the process is continued when its time is up, and also when the run stops early.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
import psutil

from loadgate.errors import InputError
from loadgate.runformat import FaultRecord
from loadtests.scenario import Fault, Scenario
from loadtests.target import LocalApi

URL_OF = {"redis": ("REDIS_URL", 6379), "store": ("MONGODB_URL", 27017)}
"""The setting that names a fault target's server, and its default port."""
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LISTENING_ON = {"127.0.0.1", "::1", "0.0.0.0", "::"}
"""Listening addresses that take 127.0.0.1's (or ::1's) connections."""


def listener(port: int) -> psutil.Process | None:
    """The process listening on ``port`` of the loopback interface, if any."""
    for conn in psutil.net_connections(kind="tcp"):
        if (conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
                and conn.laddr.ip in LISTENING_ON and conn.pid):
            return psutil.Process(conn.pid)
    return None


@dataclass
class _Planned:
    fault: Fault
    record: FaultRecord
    process: psutil.Process | None = None
    """redis / store: the server's process, found before the run."""


@dataclass
class FaultInjector:
    """A run's faults, each with its process found, applied at their times by :meth:`run`."""

    planned: list[_Planned] = field(default_factory=list)
    api: LocalApi | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def prepare(cls, scenario: Scenario, api_env: dict[str, str], workers: int, source: str) -> FaultInjector:
        """Check every fault can reach its process (``api_env``: the local API's environment,
        ``workers``: worker processes the run starts); InputError (one line) if one cannot."""
        injector = cls()
        for i, fault in sorted(enumerate(scenario.faults), key=lambda pair: pair[1].at):
            where = f"{source}: faults[{i}].target"
            record = FaultRecord(label=fault.label, action=fault.action, target=fault.target, at_s=fault.at,
                                 for_s=fault.for_)
            planned = _Planned(fault, record)
            if fault.target == "worker" and not workers:
                raise InputError(f"{where}: worker: the run starts no worker processes "
                                 f"(loadgate run --workers N)")
            if fault.target in URL_OF:
                planned.process = _server_process(fault.target, api_env, where)
                record.pid, record.process = planned.process.pid, planned.process.name()
            injector.planned.append(planned)
        return injector

    def attach(self, api: LocalApi | None, workers: list[subprocess.Popen]) -> None:
        """The processes the run started, once they run."""
        self.api, self.workers = api, workers

    @property
    def records(self) -> list[FaultRecord]:
        return [p.record for p in self.planned]

    def run(self, started_at: float) -> None:
        """Apply each fault at ``started_at + at``, in order; one that fails is recorded, not fatal."""
        for planned in self.planned:
            gevent.sleep(max(0.0, started_at + planned.fault.at - time.time()))
            try:
                self._apply(planned)
            except (OSError, psutil.Error, InputError) as exc:
                planned.record.error = f"{type(exc).__name__}: {exc}"[:300]

    def _apply(self, planned: _Planned) -> None:
        fault, record = planned.fault, planned.record
        send, describe = self._target(planned)
        record.started_at = time.time()
        if fault.action == "kill":
            send(signal.SIGKILL)
            record.ended_at = record.started_at
            record.effect = f"SIGKILL {describe}"
        elif fault.action == "pause":
            send(signal.SIGSTOP)
            record.effect = f"SIGSTOP {describe} for {fault.for_:g}s"
            try:
                gevent.sleep(fault.for_ or 0.0)
            finally:  # also when the run stops early: a paused process never stays paused
                send(signal.SIGCONT)
                record.ended_at = time.time()
                record.effect += ", then SIGCONT"
        else:  # restart: the API only (the scenario refuses others)
            assert self.api is not None
            self.api.signal(signal.SIGKILL)
            record.effect = f"SIGKILL {describe}"
            gevent.sleep(fault.for_ or 0.0)
            self.api.restart()
            record.ended_at = time.time()
            record.pid = self.api.proc.pid
            record.effect += f", started again (pid {self.api.proc.pid}) and healthy after " \
                             f"{record.ended_at - record.started_at:.1f}s"

    def _target(self, planned: _Planned) -> tuple[Callable[[int], None], str]:
        """How to signal the fault's process, and how to name it."""
        target = planned.fault.target
        if target == "api":
            if self.api is None:
                raise InputError("the run started no API")
            planned.record.pid, planned.record.process = self.api.proc.pid, "loadgate serve"
            return self.api.signal, f"the API (pid {self.api.proc.pid} and its workers)"
        if target == "worker":
            alive = [w for w in self.workers if w.poll() is None]
            if not alive:
                raise InputError("no worker process left")
            proc = alive[0]
            planned.record.pid, planned.record.process = proc.pid, "loadgate worker"
            return (lambda sig: os.kill(proc.pid, sig)), f"worker pid {proc.pid}"
        process = planned.process
        assert process is not None
        return process.send_signal, f"{process.name()} (pid {process.pid})"


def _server_process(target: str, api_env: dict[str, str], where: str) -> psutil.Process:
    """The process behind the local API's Redis or store, on 127.0.0.1 (InputError otherwise)."""
    setting, default_port = URL_OF[target]
    url = api_env.get(setting)
    if not url:
        what = "in-process cache" if target == "redis" else "SQLite store"
        raise InputError(f"{where}: {target}: the local API runs on its embedded {what} ({setting} is not "
                         f"set): there is no process to fault")
    parts = urllib.parse.urlsplit(url.split(",")[0])
    host = parts.hostname or ""
    if host not in LOOPBACK:
        raise InputError(f"{where}: {target}: {setting}'s host {host!r} is not 127.0.0.1: a run faults "
                         f"only processes on this machine")
    port = parts.port or default_port
    process = listener(port)
    if process is None:
        raise InputError(f"{where}: {target}: no process listens on 127.0.0.1:{port} ({setting})")
    return process
