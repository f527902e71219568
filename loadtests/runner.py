"""Run a scenario with Locust as a library, and write the run directory.

Three roles, all built from Locust's ``Environment`` and its runners, extended through events:

- **local** (``loadgate run``): one process runs the users and records them;
- **master** (``loadgate master``, and ``loadgate run --workers N``): runs no users; collects the
  workers' histograms (``worker_report``), probes the SUT, writes the run directory;
- **worker** (``loadgate worker``): runs users, records them, ships what it recorded with every
  Locust report (``report_to_master``).

    >>> result = run_scenario(RunOptions(scenario, Path("scenarios/smoke.yaml"), out=Path("runs")))
    >>> result.path, result.interrupted
    (PosixPath('runs/20261128-130000-smoke'), False)

Importing this module imports Locust, which monkey-patches the process with gevent: import it
only inside a command that runs load.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import importlib
import logging
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import gevent
from gevent.event import Event
from locust.env import Environment
from locust.runners import (
    STATE_CLEANUP,
    STATE_STOPPED,
    STATE_STOPPING,
    WORKER_REPORT_INTERVAL,
    MasterRunner,
    WorkerRunner,
)
from locust.shape import LoadTestShape
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter
from rich.console import Console

from loadgate import runformat as rf
from loadgate.errors import InputError
from loadgate.paths import ROOT
from loadtests.arrivals import Arrivals
from loadtests.health import HealthMonitor
from loadtests.journeys import LoadgateUser, Plan, configure
from loadtests.probe import Probe
from loadtests.recorder import Collector, Recorder
from loadtests.scenario import Scenario, validate_scenario
from loadtests.seeding import seed_accounts, seed_token_from_env
from loadtests.shapes import rate_at, spawn_rate, users_at
from loadtests.status import StatusLine, summary_table
from loadtests.target import LocalApi, TargetError, describe, health

logger = logging.getLogger("loadgate")

SETUP_MESSAGE = "loadgate_setup"
SETUP_REQUEST = "loadgate_setup_request"
REPORT_KEY = "loadgate"
PROBE_EVERY_S = 5.0
TICK_S = 1.0
WORKERS_TIMEOUT_S = 120.0
FINAL_REPORT_TIMEOUT_S = 15.0
PACKAGES = ("loadgate", "locust", "gevent", "geventhttpclient", "hdrhistogram", "psutil", "pydantic",
            "prometheus-client")
STOPPED_STATES = (STATE_STOPPING, STATE_STOPPED, STATE_CLEANUP)
GC_YOUNG_THRESHOLD = 10_000


def make_console() -> Console:
    """rich, at the terminal's width; 120 columns in logs, so the end-of-run table fits."""
    return Console() if sys.stdout.isatty() else Console(width=120)


def load_user_class(path: str) -> type[LoadgateUser]:
    """The user class ``module:Class`` a scenario names (InputError if it cannot be used)."""
    module_name, _, class_name = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"user_class: cannot import {path} ({exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, LoadgateUser)):
        raise InputError(f"user_class: {path} is not a loadtests.journeys.LoadgateUser subclass")
    return cls


class ScenarioShape(LoadTestShape):
    """The scenario's shape as Locust sees it: (users, spawn rate) every second.

    In ``loadgate run`` the run loop decides when the run ends (``stop_at_end=False``); in the
    web UI the shape ends it.
    """

    def __init__(self, scenario: Scenario, stop_at_end: bool = True):
        super().__init__()
        self.scenario = scenario
        self.stop_at_end = stop_at_end
        self.spawn_rate = spawn_rate(scenario)

    def tick(self):
        t = self.get_run_time()
        users = users_at(self.scenario, t)
        if users is None:
            if self.stop_at_end:
                return None
            users = users_at(self.scenario, (self.scenario.duration or 0) - 1e-3) or 1
        return users, self.spawn_rate


class Generator:
    """Instruments a process that runs users: records requests, runs the arrival clock, health."""

    def __init__(self, env: Environment, scenario: Scenario, user_class: type[LoadgateUser], process: str,
                 record: bool = True):
        self.env = env
        self.user_class = user_class
        self.recorder = Recorder()
        self._endpoints: dict[tuple[str, str], str] = {}
        self.monitor = HealthMonitor(process, users=self.users)
        self.arrivals: Arrivals | None = None
        self.apply(scenario)
        if record:
            env.events.request.add_listener(self.on_request)
        env.events.test_start.add_listener(self._on_test_start)
        env.events.test_stop.add_listener(self._on_test_stop)
        env.events.spawning_complete.add_listener(self._on_spawning_complete)
        self._frozen_users = 0

    def apply(self, scenario: Scenario, accounts: list[str] | None = None, password: str = "",
              worker_index: int = 0, worker_count: int = 1, ready: bool = True) -> None:
        """(Re)configure users for ``scenario`` and the seeded accounts, before they spawn."""
        self.scenario = scenario
        self.worker_count = worker_count
        closed = scenario.model == "closed"
        self.recorder.expected_interval_us = int(scenario.expected_interval_s * 1e6) if closed else 0
        self.recorder.open_model = not closed
        self.arrivals = None if closed else Arrivals(self.rate)
        configure(self.user_class, Plan(scenario, accounts or [], password, worker_index, worker_count,
                                        self.arrivals, ready))

    def users(self) -> int:
        return self.env.runner.user_count if self.env.runner is not None else 0

    def rate(self, t: float) -> float:
        """This process's share of the open model's arrivals.

        Locust spreads the users evenly over the workers, so each worker that has users issues
        an equal share, from the start: arrivals do not wait for the users to spawn (tickets
        queue, and their wait counts).
        """
        runner = self.env.runner
        if runner is None or runner.target_user_count <= 0:
            return 0.0
        return rate_at(self.scenario, t) / max(1, min(self.worker_count, self.scenario.users))

    def on_request(self, request_type, name, response_time, exception=None, context=None, start_time=None,
                   **_kwargs) -> None:
        intended = context.get("intended") if context else None
        start = start_time if start_time is not None else time.time() - response_time / 1000.0
        endpoint = self._endpoints.get((request_type, name))
        if endpoint is None:
            endpoint = self._endpoints[(request_type, name)] = f"{request_type} {name}"
        self.recorder.record(endpoint, start, response_time * 1000.0, exception is not None, intended)

    def _on_test_start(self, **_kwargs) -> None:
        if self.arrivals is not None:
            self.arrivals.start()

    def _on_spawning_complete(self, **_kwargs) -> None:
        # Thousands of users are millions of long-lived objects, and every full garbage collection
        # walks them all: 0.1-0.3 s with 10,000 users, a loop stall that lands in the latencies.
        # Freezing them (after a young collection, so little garbage is kept) takes them out of
        # the collector's walks. Again whenever the users grew by a tenth, not on every tick.
        # Young collections of such a process still pause it 10-50 ms each; fewer of them
        # (every 10,000 allocations, not 700) removed those pauses in benchmarks/bench_users.py.
        users = self.users()
        if users > 0 and users >= 1.1 * self._frozen_users:
            gc.collect(1)
            gc.freeze()
            self._frozen_users = users
            threshold = gc.get_threshold()
            if threshold[0] < GC_YOUNG_THRESHOLD:
                gc.set_threshold(GC_YOUNG_THRESHOLD, *threshold[1:])

    def _on_test_stop(self, **_kwargs) -> None:
        if self.arrivals is not None:
            self.arrivals.stop()


class Interrupts:
    """SIGINT / SIGTERM set a reason and an event; a second one exits at once."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.event = Event()

    def install(self) -> Interrupts:
        for sig in (signal.SIGINT, signal.SIGTERM):
            gevent.signal_handler(sig, self._on_signal, sig)
        return self

    def _on_signal(self, sig: int) -> None:
        if self.reason is not None:
            sys.stderr.write("loadgate: second interrupt, exiting now\n")
            os._exit(130)
        self.reason = signal.Signals(sig).name
        self.event.set()

    def __call__(self) -> bool:
        return self.reason is not None


@dataclass
class RunOptions:
    scenario: Scenario
    scenario_file: Path | None
    out: Path = Path("runs")
    spawn_workers: int = 0
    """``loadgate run --workers N``: start N ``loadgate worker`` processes on 127.0.0.1."""
    expect_workers: int = 0
    """Master mode when > 0: wait for this many workers before starting."""
    master_bind_host: str = "*"
    master_bind_port: int = 5557
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    slo_file: Path | None = None
    console: Console = field(default_factory=lambda: make_console())


@dataclass
class RunResult:
    path: Path
    summary: rf.Summary
    interrupted: bool
    slo_file: Path | None


def _git_commit() -> str | None:
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("+dirty" if dirty else "")) or None


def _packages() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def _run_id(out: Path, name: str, created: float) -> str:
    base = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(created))}-{name}"
    run_id, n = base, 1
    while (out / run_id).exists() or (out / f".{run_id}.partial").exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


class LocustCsv:
    """Locust's own CSVs in ``locust/`` under their usual names, written one last time at the end."""

    def __init__(self, env: Environment, folder: Path):
        self.folder = folder
        self.writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(folder / "_run"), full_history=True)
        self.greenlet = gevent.spawn(self.writer.stats_writer)

    def finish(self) -> None:
        self.greenlet.kill(block=True)
        self.writer.close_files()
        w = self.writer
        for name, write in (("stats.csv", w.requests_csv), ("failures.csv", w.failures_csv),
                            ("exceptions.csv", w.exceptions_csv)):
            with open(self.folder / name, "w", newline="") as f:
                write(csv.writer(f))
        os.replace(self.folder / "_run_stats_history.csv", self.folder / "stats_history.csv")
        for leftover in self.folder.glob("_run_*.csv"):
            leftover.unlink()


@dataclass
class Target:
    url: str
    kind: str
    seed_token: str
    api: LocalApi | None = None

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()


def prepare_target(scenario: Scenario, console: Console, should_stop=lambda: False) -> Target:
    """The SUT: the scenario's URL (checked), or the API started locally for this run."""
    if scenario.target == "local":
        store = "MongoDB" if os.environ.get("MONGODB_URL") else "SQLite"
        cache = "Redis" if os.environ.get("REDIS_URL") else "in-process cache"
        console.print(f"starting the API locally ({store}, {cache})", highlight=False)
        api = LocalApi.start(scenario, should_stop=should_stop)
        return Target(api.url, api.kind, api.seed_token, api)
    if health(scenario.target) is None:
        raise TargetError(f"{scenario.target}: GET /health does not answer 200; is the API running?")
    token = seed_token_from_env()
    if scenario.seed_users and not token:
        raise TargetError(f"{scenario.target}: set LOADGATE_SEED_TOKEN (the API's SEED_TOKEN) to seed "
                          f"{scenario.seed_users} accounts, or set seed.users: 0")
    return Target(scenario.target, describe(scenario.target, local=False), token or "")


def seed(scenario: Scenario, target: Target, console: Console, should_stop=lambda: False) -> list[str]:
    """Seed the scenario's accounts before measurement; returns their emails."""
    if not scenario.seed_users:
        return []
    t0 = time.monotonic()
    emails = seed_accounts(target.url, target.seed_token, scenario.seed_users, scenario.seed.tasks_per_user,
                           scenario.seed.password, tag=secrets.token_hex(4), should_stop=should_stop)
    console.print(f"seeded {len(emails):,} accounts x {scenario.seed.tasks_per_user} tasks in "
                  f"{time.monotonic() - t0:.1f}s (not measured)", highlight=False)
    return emails


class Session:
    """One run as a local process or a master: set up, measure, write the run directory."""

    def __init__(self, opts: RunOptions):
        self.opts = opts
        self.scenario = opts.scenario
        self.console = opts.console
        self.interrupts = Interrupts().install()
        self.collector = Collector()
        self.users_by_interval: dict[float, int] = {}
        self.final_reports: dict[str, tuple[float, str]] = {}
        self.set_up: set[str] = set()
        self.measuring_since: float | None = None
        self.stopped_at: float | None = None
        self.worker_procs: list[subprocess.Popen] = []
        self.worker_logdir: Path | None = None
        self.target: Target | None = None
        self.generator: Generator | None = None
        self.runner = None
        self.greenlets: list[gevent.Greenlet] = []
        self.rps_window: deque[tuple[float, int]] = deque(maxlen=8)

    @property
    def distributed(self) -> bool:
        return self.opts.expect_workers > 0

    # ---- the run --------------------------------------------------------------------------

    def execute(self) -> RunResult:
        s, opts = self.scenario, self.opts
        user_class = load_user_class(s.user_class)
        opts.out.mkdir(parents=True, exist_ok=True)
        created = time.time()
        run_id = _run_id(opts.out, s.name, created)
        self.writer = rf.RunWriter(opts.out, run_id)
        self.started_at = created
        meta = rf.Meta(
            run_id=run_id, scenario_name=s.name, scenario=s.model_dump(mode="json"),
            scenario_file=str(opts.scenario_file) if opts.scenario_file else None,
            slo_file=str(opts.slo_file) if opts.slo_file else None, git_commit=_git_commit(),
            packages=_packages(), host=socket.gethostname(), python=platform.python_version(),
            command=list(sys.argv), target=s.target, model=s.model, workers=opts.expect_workers,
            created_at=created, started_at=created, planned_duration_s=s.duration or 0.0,
        )
        self.writer.write_meta(meta)
        try:
            self._setup_and_measure(user_class, meta)
        except InputError:
            if not self.interrupts():  # set-up failed: nothing ran, so no run directory
                self._teardown()
                shutil.rmtree(self.writer.path, ignore_errors=True)
                raise
        finally:
            self._teardown()
        return self._finish(meta)

    def _setup_and_measure(self, user_class: type[LoadgateUser], meta: rf.Meta) -> None:
        s, opts = self.scenario, self.opts
        self.target = prepare_target(s, self.console, self.interrupts)
        meta.target, meta.target_kind = self.target.url, self.target.kind
        accounts = seed(s, self.target, self.console, self.interrupts)
        env = Environment(user_classes=[user_class], shape_class=ScenarioShape(s, stop_at_end=False),
                          host=self.target.url)
        if self.distributed:
            runner = self.runner = env.create_master_runner(opts.master_bind_host, opts.master_bind_port)
            env.events.worker_report.add_listener(self._on_worker_report)
            setup = {"scenario": s.model_dump(mode="json"), "accounts": accounts,
                     "password": s.seed.password, "worker_count": opts.expect_workers}

            def send_setup(environment, msg, **_kwargs) -> None:
                # Workers ask once their handler is registered (a message sent on connect could
                # arrive before it is); the master starts only when every worker is set up.
                runner.send_message(SETUP_MESSAGE, setup, client_id=msg.node_id)
                self.set_up.add(msg.node_id)

            runner.register_message(SETUP_REQUEST, send_setup)
            self._spawn_workers(opts.master_bind_port)
            self._await_workers(runner)
            monitor = HealthMonitor("master", users=lambda: runner.user_count)
        else:
            self.generator = Generator(env, s, user_class, "local")
            self.generator.apply(s, accounts, s.seed.password)
            self.runner = env.create_local_runner()
            monitor = self.generator.monitor
        if opts.web_port:
            _hide_our_arguments_from_locust()
            env.create_web_ui(host=opts.web_host, port=opts.web_port)
            self.console.print(f"Locust web UI: http://{opts.web_host}:{opts.web_port}", highlight=False)
        if not self.interrupts():
            self._measure(env, self.runner, meta, monitor)

    # ---- set-up ---------------------------------------------------------------------------

    def _spawn_workers(self, port: int) -> None:
        if not self.opts.spawn_workers:
            return
        if self.opts.scenario_file is None:
            raise InputError("--workers needs a scenario file for the worker processes")
        self.worker_logdir = Path(tempfile.mkdtemp(prefix="loadgate-workers-"))
        for i in range(self.opts.spawn_workers):
            log = open(self.worker_logdir / f"worker-{i}.log", "wb")  # noqa: SIM115 - the child owns it
            self.worker_procs.append(subprocess.Popen(
                [sys.executable, "-m", "loadgate.cli", "worker", str(self.opts.scenario_file),
                 "--master-host", "127.0.0.1", "--master-port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def _worker_log_tail(self) -> str:
        lines = []
        for path in sorted(self.worker_logdir.glob("*.log")) if self.worker_logdir else []:
            text = path.read_text(errors="replace").strip().splitlines()
            if text:
                lines.append(f"{path.stem}: {text[-1]}")
        return " | ".join(lines)[:500]

    def _await_workers(self, runner: MasterRunner) -> None:
        want = self.opts.expect_workers
        deadline = time.monotonic() + WORKERS_TIMEOUT_S
        self.console.print(f"waiting for {want} worker(s) on port {self.opts.master_bind_port}",
                           highlight=False)
        while runner.worker_count < want or len(self.set_up) < want:
            if self.interrupts():
                return
            for proc in self.worker_procs:
                if proc.poll() is not None:
                    raise TargetError(f"a worker process exited with {proc.returncode}: "
                                      f"{self._worker_log_tail()}")
            if time.monotonic() > deadline:
                raise TargetError(f"only {runner.worker_count} of {want} workers connected in "
                                  f"{WORKERS_TIMEOUT_S:.0f}s")
            gevent.sleep(0.1)

    # ---- measurement ----------------------------------------------------------------------

    def _on_worker_report(self, client_id: str, data: dict) -> None:
        payload = data.get(REPORT_KEY)
        if not payload:
            return
        self.collector.absorb(payload["rec"])
        for row in payload.get("health", ()):
            self._health(rf.GeneratorSample.model_validate(row))
        self.final_reports[client_id] = (time.time(), payload.get("state", ""))

    def _health(self, row: rf.GeneratorSample) -> None:
        # Only samples of the measured window: stopping the users (killing greenlets, the last
        # shipment) lags the loop, but no request is measured then.
        if self.measuring_since is not None and self.measuring_since <= row.t <= (self.stopped_at or row.t):
            self.writer.append(rf.GENERATOR, row)

    def _tick(self, runner, status: StatusLine, probe: Probe) -> None:
        while True:
            now = time.time()
            if self.generator is not None:
                self.collector.absorb(self.generator.recorder.drain())
            t = rf.interval_start(now)
            self.users_by_interval[t] = max(self.users_by_interval.get(t, 0), runner.user_count)
            requests, failures = self.collector.totals()
            self.rps_window.append((now, requests))
            t0, n0 = self.rps_window[0]
            rps = (requests - n0) / (now - t0) if now > t0 else 0.0
            recent = self.collector.recent(since=t - rf.INTERVAL_S)
            p95 = recent.get_value_at_percentile(95) / 1000.0 if recent.get_total_count() else None
            status.update(now - self.started_at, runner.user_count, rps, p95, requests, failures,
                          probe.hit_ratio())
            self.collector.compact(now)
            gevent.sleep(TICK_S)

    def _probe_loop(self, probe: Probe) -> None:
        while True:
            gevent.sleep(PROBE_EVERY_S)
            self.writer.append(rf.SUT, probe.sample())

    def _await_final_reports(self, workers: set[str]) -> None:
        """Wait until each worker has reported as stopped, so no request goes unshipped.

        A report built once a worker's users are stopped holds everything they recorded; a
        worker that quit on its own sent one before it left.
        """
        deadline = time.monotonic() + FINAL_REPORT_TIMEOUT_S
        pending: list[str] = []
        while time.monotonic() < deadline:
            pending = [c for c in workers if self.final_reports.get(c, (0.0, ""))[1] != STATE_STOPPED]
            if not pending:
                return
            gevent.sleep(0.2)
        logger.warning("no final report from %d worker(s); their last seconds are missing", len(pending))

    def _measure(self, env: Environment, runner, meta: rf.Meta, monitor: HealthMonitor) -> None:
        s = self.scenario
        csv_out = LocustCsv(env, self.writer.file(rf.LOCUST_DIR))
        probe = Probe(meta.target)
        self.writer.append(rf.SUT, probe.sample())  # the baseline the run's counter deltas start from
        self.started_at = self.measuring_since = meta.started_at = time.time()
        meta.workers = getattr(runner, "worker_count", 0)
        self.writer.write_meta(meta)
        runner.start_shape()
        with StatusLine(s.duration or 0, self.console) as status:
            self.greenlets += [
                gevent.spawn(self._tick, runner, status, probe),
                gevent.spawn(self._probe_loop, probe),
                gevent.spawn(monitor.run, self._health),
            ]
            end = self.started_at + (s.duration or 0)
            while not self.interrupts() and time.time() < end:
                if runner.state in STOPPED_STATES:
                    self.interrupts.reason = "the test stopped early (all workers lost?)"
                    break
                self.interrupts.event.wait(timeout=min(0.5, max(0.0, end - time.time())))
            meta.ended_at = self.stopped_at = time.time()
            workers = set(runner.clients) | set(self.final_reports) if self.distributed else set()
            runner.stop()
            self._await_final_reports(workers)
            gevent.killall(self.greenlets, block=True)
            self.greenlets = []
        if self.generator is not None:
            self.collector.absorb(self.generator.recorder.drain())
        self.writer.append(rf.SUT, probe.sample())
        csv_out.finish()

    def _teardown(self) -> None:
        gevent.killall(self.greenlets, block=True)
        self.greenlets = []
        if self.runner is not None:
            self.runner.quit()
            self.runner = None
        for proc in self.worker_procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=10)
        self.worker_procs = []
        if self.target is not None:
            self.target.stop()
            self.target = None

    def _finish(self, meta: rf.Meta) -> RunResult:
        from reports.summary import write_summary

        if meta.ended_at is None:
            meta.ended_at = meta.started_at
        meta.interrupted = self.interrupts.reason is not None
        meta.interrupt_reason = self.interrupts.reason
        base = rf.interval_start(meta.started_at)
        self.collector.write_hlog(self.writer.file(rf.RAW_LOG), base)
        self.collector.write_hlog(self.writer.file(rf.CORRECTED_LOG), base, corrected=True)
        counts = self.collector.per_interval()
        for t in sorted(set(counts) | set(self.users_by_interval)):
            requests, failures = counts.get(t, ({}, {}))
            self.writer.append(rf.TIMELINE, rf.TimelineRow(
                t=t, users=self.users_by_interval.get(t, 0), requests=requests, failures=failures))
        self.writer.write_meta(meta)
        summary = write_summary(self.writer.path)
        path = self.writer.finish()
        self.console.print(summary_table(summary))
        for reason in summary.validity.reasons:
            self.console.print(f"[yellow]not valid[/]: {reason}", highlight=False)
        self.console.print(f"run directory: {path}", highlight=False, soft_wrap=True)
        return RunResult(path, summary, meta.interrupted, self.opts.slo_file)


def _hide_our_arguments_from_locust() -> None:
    # Locust's web UI parses sys.argv with Locust's own parser to list extra options, and exits
    # on ours (--web-port, --duration): our command line has been parsed, so show it none.
    del sys.argv[1:]


def run_scenario(opts: RunOptions) -> RunResult:
    """Run a scenario locally or as a master and write its run directory."""
    return Session(opts).execute()


def run_worker(scenario: Scenario, master_host: str, master_port: int) -> int:
    """A worker: run the users the master assigns, record them, ship the recordings; until quit."""
    user_class = load_user_class(scenario.user_class)
    env = Environment(user_classes=[user_class])
    generator = Generator(env, scenario, user_class, "worker")
    generator.apply(scenario, ready=False)  # users wait for the master's accounts
    runner: WorkerRunner = env.create_worker_runner(master_host, master_port)
    health_rows: list[rf.GeneratorSample] = []

    def on_setup(environment, msg, **_kwargs) -> None:
        data = msg.data
        index = max(runner.worker_index, 0)
        generator.monitor.process = f"worker-{index}"
        generator.apply(validate_scenario(data["scenario"], "(scenario from the master)"), data["accounts"],
                        data["password"], index, max(1, data["worker_count"]))

    def on_report(client_id, data, **_kwargs) -> None:
        rows, health_rows[:] = list(health_rows), []
        data[REPORT_KEY] = {"rec": generator.recorder.drain(), "health": [r.model_dump() for r in rows],
                            "state": runner.state}

    def shutdown() -> None:
        # SIGTERM (Kubernetes) / Ctrl-C: stop the users, let one more report ship what they
        # recorded, then tell the master we leave.
        runner.stop()
        gevent.sleep(WORKER_REPORT_INTERVAL + 0.5)
        env.events.quitting.fire(environment=env)
        runner.quit()

    runner.register_message(SETUP_MESSAGE, on_setup)
    runner.send_message(SETUP_REQUEST)
    env.events.report_to_master.add_listener(on_report)
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, lambda: gevent.spawn(shutdown))
    monitor = gevent.spawn(generator.monitor.run, health_rows.append)
    runner.greenlet.join()
    monitor.kill()
    return 0


def run_ui(scenario: Scenario, web_port: int, console: Console, web_host: str = "127.0.0.1") -> None:
    """The Locust web UI with the scenario's users and shape, until Ctrl-C."""
    interrupts = Interrupts().install()
    user_class = load_user_class(scenario.user_class)
    target = prepare_target(scenario, console, interrupts)
    try:
        accounts = seed(scenario, target, console, interrupts)
        env = Environment(user_classes=[user_class], shape_class=ScenarioShape(scenario), host=target.url)
        generator = Generator(env, scenario, user_class, "local", record=False)
        generator.apply(scenario, accounts, scenario.seed.password)
        runner = env.create_local_runner()
        _hide_our_arguments_from_locust()
        web = env.create_web_ui(host=web_host, port=web_port)
        console.print(f"Locust web UI: http://{web_host}:{web_port}  (target {target.url}; Ctrl-C to quit)",
                      highlight=False)
        interrupts.event.wait()
        runner.quit()
        web.stop()
    finally:
        target.stop()
