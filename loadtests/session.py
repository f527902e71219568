"""One run as a single local process or as a master: set up, measure, write the run directory.

    result = run_scenario(RunOptions(scenario, Path("scenarios/smoke.yaml"), out=Path("runs"),
                                     finalize=write_summary))
    result.path, result.interrupted
    # -> (PosixPath('runs/20261128-130000-smoke'), False)

- **local** (``loadgate run``): this process runs the users (``Generator``) and records them;
- **master** (``loadgate master``, ``loadgate run --workers N``): runs no users; merges the workers'
  histograms (``worker_report``, see ``loadtests.protocol``), probes the SUT, writes the run
  directory.

The run computes no report numbers (the CLI builds ``summary.json`` from the logs through
``finalize``, before the folder gets its final name). Its background loops (status tick, SUT
probe, generator health) run in one ``gevent.pool.Group``: a loop that dies ends the run as
interrupted, with the reason, so a thinned ``sut.jsonl`` never passes for a whole one.

Over 300 lines on purpose: set-up, the measurement loops and the logs persisted as the run goes
share one run's state (the writer, the collector, the runner); what a run watches for lives in
``loadtests.watch``, and the UI's runs subclass this one (``loadtests.ui_session``).

Importing this module imports Locust, which monkey-patches the process with gevent: import it
only inside a command that runs load.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import gevent.pool
from locust.env import Environment
from locust.runners import (
    STATE_CLEANUP,
    STATE_STOPPED,
    STATE_STOPPING,
    WORKER_REPORT_INTERVAL,
    MasterRunner,
    Runner,
)
from rich.console import Console

from loadgate import runformat as rf
from loadgate.errors import InputError
from loadgate.processes import die_with_parent
from loadtests import live_export, provenance
from loadtests.audit import read_store
from loadtests.drain import wait_for_drain
from loadtests.faults import FaultInjector
from loadtests.generator import Generator, load_user_class
from loadtests.health import HealthMonitor
from loadtests.interrupts import Interrupts
from loadtests.journeys import LoadgateUser
from loadtests.locust_csv import LocustCsv
from loadtests.locust_logging import warn_once
from loadtests.locust_shape import ScenarioShape
from loadtests.pool import pool_size
from loadtests.preparation import Target, prepare_target, seed
from loadtests.probe import Probe
from loadtests.protocol import REPORT_KEY, SETUP_MESSAGE, SETUP_REQUEST, ProtocolError, Setup, WorkerReport
from loadtests.recorder import Collector
from loadtests.scenario import Scenario
from loadtests.status import StatusLine, make_console
from loadtests.target import TargetError
from loadtests.watch import RunWatch
from loadtests.webui import hide_our_arguments_from_locust

logger = logging.getLogger("loadgate")

PROBE_EVERY_S = 5.0
TICK_S = 1.0
WORKERS_TIMEOUT_S = 120.0
FINAL_REPORT_TIMEOUT_S = 15.0
STOPPED_STATES = (STATE_STOPPING, STATE_STOPPED, STATE_CLEANUP)
PERSIST_LAG_S = WORKER_REPORT_INTERVAL + 1.0
"""An interval is appended to the logs this long after it ends: by then every worker has shipped it."""
"""Users below this fraction of the shape for longer than this make the run invalid (spawning
and a ramp's steps settle well within it)."""


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
    finalize: Callable[[Path], None] | None = None
    """Called with the finished but not yet renamed folder (the CLI writes ``summary.json`` there)."""
    keep_worker_logs: bool = False
    """Keep the spawned workers' log folder (its path is printed); by default it is removed."""


@dataclass
class RunResult:
    path: Path
    interrupted: bool
    slo_file: Path | None


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
        self.calibrations: list[rf.Calibration] = []
        self.report_stats: list[tuple[int, float]] = []
        """Per worker report: histogram bytes, seconds to merge (printed at the end of a master run)."""
        self.set_up: set[str] = set()
        self.measuring_since: float | None = None
        self.stopped_at: float | None = None
        self.worker_procs: list[subprocess.Popen] = []
        self.worker_logdir: Path | None = None
        self.target: Target | None = None
        self.generator: Generator | None = None
        self.runner: Runner | None = None
        self.loops = gevent.pool.Group()
        self.rps_window: deque[tuple[float, int]] = deque(maxlen=8)
        self.watch = RunWatch(opts.scenario, distributed=opts.expect_workers > 0)
        self.faults: FaultInjector | None = None
        self.logs: tuple[rf.HlogAppender, rf.HlogAppender] | None = None
        self.persisted_intervals: set[float] = set()

    @property
    def distributed(self) -> bool:
        return self.opts.expect_workers > 0

    # ---- the run --------------------------------------------------------------------------

    def execute(self) -> RunResult:
        s, opts = self.scenario, self.opts
        user_class = load_user_class(s.user_class)
        if opts.out.exists() and not opts.out.is_dir():
            raise InputError(f"--out {opts.out}: not a folder (a file of that name exists)")
        opts.out.mkdir(parents=True, exist_ok=True)
        created = time.time()
        run_id = provenance.run_id(opts.out, s.name, created)
        self.writer = rf.RunWriter(opts.out, run_id)
        self.started_at = created
        meta = rf.Meta(
            run_id=run_id, scenario_name=s.name, scenario=s.model_dump(mode="json"),
            scenario_file=str(opts.scenario_file) if opts.scenario_file else None,
            slo_file=str(opts.slo_file) if opts.slo_file else None, git_commit=provenance.git_commit(),
            packages=provenance.packages(), host=socket.gethostname(), python=platform.python_version(),
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
        if s.faults:  # every fault's process found before anything starts, or no run
            self.faults = FaultInjector.prepare(s, {**os.environ, **s.env}, opts.spawn_workers,
                                                str(opts.scenario_file or "(scenario)"))
        self.target = prepare_target(s, self.console, self.interrupts)
        meta.target, meta.target_kind = self.target.url, self.target.kind
        meta.topology = self.target.topology
        meta.connections = pool_size(s, max(1, opts.expect_workers))
        accounts = seed(s, self.target, self.console, self.interrupts)
        warn_once()  # a shape re-targets every second: Locust's spawn-rate warning, once
        if s.audit:
            self._read_store(rf.STORE_BEFORE, accounts, meta.run_id)
        env = Environment(user_classes=[user_class], shape_class=ScenarioShape(s, stop_at_end=False),
                          host=self.target.url)
        if self.distributed:
            runner = self.runner = env.create_master_runner(opts.master_bind_host, opts.master_bind_port)
            env.events.worker_report.add_listener(self._on_worker_report)
            setup = Setup(s.model_dump(mode="json"), accounts, s.seed.password,
                          opts.expect_workers).to_message()

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
        if self.faults is not None:
            self.faults.attach(self.target.api, self.worker_procs)
        if opts.web_port:
            hide_our_arguments_from_locust()
            env.create_web_ui(host=opts.web_host, port=opts.web_port)
            self.console.print(f"Locust web UI: http://{opts.web_host}:{opts.web_port}", highlight=False)
        if not self.interrupts():
            self._measure(env, self.runner, meta, monitor)
        if s.audit and not self.interrupts():  # the API still runs: read back what the users wrote
            self._read_store(rf.STORE_AFTER, accounts, meta.run_id)

    def _read_store(self, name: str, accounts: list[str], run_id: str) -> None:
        assert self.target is not None
        read_store(self.writer, name, self.target.url, accounts, self.scenario.seed.password, run_id,
                   self.console, self.interrupts)

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
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent))

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
        if REPORT_KEY not in data:
            return
        try:
            report = WorkerReport.from_message(data[REPORT_KEY])
        except ProtocolError as exc:
            self.interrupts.stop(f"worker {client_id}: {exc}")
            return
        began = time.perf_counter()
        self.collector.absorb(report.rec)
        self.report_stats.append((_blob_bytes(report.rec), time.perf_counter() - began))
        self.calibrations += [rf.Calibration.model_validate(c) for c in report.calibration]
        if report.audit:
            # appended as it arrives, like the intervals: a killed master keeps what it was sent
            name = report.process if report.process.startswith("worker-") else f"worker-{client_id}"
            self.writer.append_many(f"{rf.AUDIT_DIR}/{name}.jsonl",
                                    [rf.LedgerEntry.model_validate(e) for e in report.audit])
        for row in report.health:
            self._health(rf.GeneratorSample.model_validate(row))
        self.final_reports[client_id] = (time.time(), report.state)

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
            self.watch.workers(runner, now, self.final_reports)
            self.watch.users(runner.user_count, now)
            gevent.sleep(TICK_S)

    def _persist_loop(self, meta: rf.Meta) -> None:
        while True:
            gevent.sleep(TICK_S)
            self._persist(meta, time.time() - PERSIST_LAG_S)

    def _persist(self, meta: rf.Meta, before: float) -> None:
        """Append the intervals closed by ``before`` to the logs (fsynced), and their timeline
        rows, so a killed run keeps them; ``meta.json`` says how far they reach."""
        if self.logs is None:
            return
        if self.generator is not None:
            self.collector.absorb(self.generator.recorder.drain())
            self._persist_ledger()
        raw, corrected = self.collector.take_closed(before)
        if not raw:
            return
        counts = self.collector.per_interval()
        rows = []
        for t in sorted({iv.start for iv in raw} - self.persisted_intervals):
            requests, failures = counts.get(t, ({}, {}))
            rows.append(rf.TimelineRow(t=t, users=self.users_by_interval.get(t, 0), requests=requests,
                                       failures=failures))
            self.persisted_intervals.add(t)
        meta.persisted_until = max(iv.start + iv.length for iv in raw)
        meta.workers_seen, meta.problems = self.watch.records()
        snapshot = meta.model_copy(deep=True)
        logs = self.logs

        def write() -> None:
            logs[0].append(raw)
            logs[1].append(corrected)
            for row in rows:
                self.writer.append(rf.TIMELINE, row)
            self.writer.write_meta(snapshot)

        # fsync blocks: in a thread of gevent's pool, so the users' event loop never waits on the disk
        gevent.get_hub().threadpool.apply(write)

    def _persist_ledger(self) -> None:
        """Append this process's new ledger entries (a local run's; a master's come with reports)."""
        if self.generator is not None and self.scenario.audit:
            entries = self.generator.ledger.drain()
            if entries:
                self.writer.append_many(f"{rf.AUDIT_DIR}/{self.generator.monitor.process}.jsonl", entries)

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
        self.watch.no_final_report(pending)  # each one a problem: the run is invalid

    def _measure(self, env: Environment, runner, meta: rf.Meta, monitor: HealthMonitor) -> None:
        s = self.scenario
        csv_out = LocustCsv(env, self.writer.file(rf.LOCUST_DIR))
        probe = Probe(meta.target)
        self.writer.append(rf.SUT, probe.sample())  # the baseline the run's counter deltas start from
        self.started_at = self.measuring_since = meta.started_at = time.time()
        meta.workers = getattr(runner, "worker_count", 0)
        base = rf.interval_start(meta.started_at)
        self.logs = (rf.HlogAppender(self.writer.file(rf.RAW_LOG), base),
                     rf.HlogAppender(self.writer.file(rf.CORRECTED_LOG), base, ))
        self.watch.start(self.started_at)
        self.watch.workers(runner, self.started_at, self.final_reports)
        meta.workers_seen = self.watch.records()[0]
        if self.generator is not None:
            self.calibrations.append(self.generator.calibrate("start"))
        self.writer.write_meta(meta)
        runner.start_shape()
        if self.faults is not None:
            meta.faults = self.faults.records  # filled in as they go; persisted with meta.json
            self._loop("fault injection", self.faults.run, self.started_at)
        with StatusLine(s.duration or 0, self.console) as status:
            self._loop("status tick", self._tick, runner, status, probe)
            self._loop("SUT probe", self._probe_loop, probe)
            self._loop("generator health", monitor.run, self._health)
            self._loop("interval persistence", self._persist_loop, meta)
            live = live_export.attach(self, meta)
            end = self.started_at + (s.duration or 0)
            while not self.interrupts() and time.time() < end:
                if runner.state in STOPPED_STATES:
                    self.interrupts.reason = "the test stopped early (all workers lost?)"
                    break
                self.interrupts.event.wait(timeout=min(0.5, max(0.0, end - time.time())))
            meta.ended_at = self.stopped_at = time.time()
            self.watch.workers(runner, meta.ended_at, self.final_reports)
            self.watch.end_shortfall(meta.ended_at)
            self.watch.stop(meta.ended_at)
            workers = set(runner.clients) | set(self.final_reports) if self.distributed else set()
            runner.stop()
            self._await_final_reports(workers)
            self.loops.kill(block=True)
        if self.generator is not None:
            self.collector.absorb(self.generator.recorder.drain())
            self._persist_ledger()  # the users are stopped: every write they made has its entry
            self.calibrations.append(self.generator.calibrate("end"))
        last = probe.sample()
        self.writer.append(rf.SUT, last)
        meta.drain = wait_for_drain(self.scenario.drain_timeout, probe, last, meta.ended_at, self.writer,
                                    self.console, self.interrupts)
        live_export.finish(live)
        csv_out.finish()

    def _loop(self, name: str, func: Callable, *args) -> None:
        """Run a background loop in the run's group; if it dies, the run ends with the reason."""
        greenlet = self.loops.spawn(func, *args)
        greenlet.link_exception(lambda g: self.interrupts.stop(f"the {name} loop failed: {g.exception!r}"))

    def _teardown(self) -> None:
        self.loops.kill(block=True)
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
        if self.worker_logdir is not None:
            if self.opts.keep_worker_logs:
                self.console.print(f"worker logs kept in {self.worker_logdir}", highlight=False)
            else:
                shutil.rmtree(self.worker_logdir, ignore_errors=True)
            self.worker_logdir = None
        if self.target is not None:
            self.target.stop()
            self.target = None

    def _finish(self, meta: rf.Meta) -> RunResult:
        if meta.ended_at is None:
            meta.ended_at = meta.started_at
        meta.interrupted = self.interrupts.reason is not None
        meta.interrupt_reason = self.interrupts.reason
        meta.workers_seen, meta.problems = self.watch.records()
        meta.persisted_until = meta.ended_at
        # The logs appended as the run went are rewritten whole: late payloads are in these.
        meta.calibration = sorted(self.calibrations, key=lambda c: (c.t, c.process))
        base = rf.interval_start(meta.started_at)
        self.collector.write_hlog(self.writer.file(rf.RAW_LOG), base)
        self.collector.write_hlog(self.writer.file(rf.CORRECTED_LOG), base, corrected=True)
        self.collector.write_hlog(self.writer.file(rf.POOL_LOG), base, pool=True)
        counts = self.collector.per_interval()
        rows = []
        for t in sorted(set(counts) | set(self.users_by_interval)):
            requests, failures = counts.get(t, ({}, {}))
            rows.append(rf.TimelineRow(t=t, users=self.users_by_interval.get(t, 0), requests=requests,
                                       failures=failures).model_dump_json() + "\n")
        rf.write_atomic(self.writer.file(rf.TIMELINE), "".join(rows))
        self.writer.write_meta(meta)
        if self.report_stats:
            sizes = sorted(b for b, _ in self.report_stats)
            merges = sorted(m for _, m in self.report_stats)
            self.console.print(
                f"worker reports: {len(sizes):,}, histogram bytes p50 {sizes[len(sizes) // 2]:,} max "
                f"{sizes[-1]:,}; merge p50 {merges[len(merges) // 2] * 1000:.1f} ms "
                f"max {merges[-1] * 1000:.1f} ms",
                highlight=False)
        if self.opts.finalize is not None:
            self.opts.finalize(self.writer.path)
        return RunResult(self.writer.finish(), meta.interrupted, self.opts.slo_file)


def _blob_bytes(rec: dict) -> int:
    """The encoded histograms' size in a worker's report (the bulk of what it ships)."""
    return sum(len(row[2]) for key in ("raw", "corrected", "pool") for row in rec.get(key, ()))


def run_scenario(opts: RunOptions) -> RunResult:
    """Run a scenario locally or as a master and write its run directory."""
    return Session(opts).execute()
