"""``loadgate ui``: the Locust web UI as a way to run, with everything a headless run records.

    ui = UiSession(UiOptions(scenario, Path("scenarios/smoke.yaml"), out=Path("runs"), workers=2,
                             finalize=write_summary, on_finished=judge))
    ui.serve(web_port=8089)      # until Ctrl-C; every test started from the page is one run

The set-up (the API, the seeded accounts, the runner, the workers, the page) is made once; each
test started from the page (or by its shape) is one :class:`UiRun`: a ``Session`` whose set-up is
this one's, so it records, probes, samples the generators and writes its run directory through
the same methods as ``loadgate run``. When the test stops (from the page, or the shape ends) the
run directory is written and renamed, then ``on_finished`` (the CLI's report and gate) gets it.

The live figures for the page's tabs come from :meth:`UiSession.live` (plain data, no reports).
"""

from __future__ import annotations

import logging
import platform
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from hdrh.histogram import HdrHistogram
from locust.argument_parser import get_parser
from locust.env import Environment
from rich.console import Console

from loadgate import runformat as rf
from loadgate.runformat import TOTAL
from loadtests import provenance
from loadtests.drain import wait_for_drain
from loadtests.generator import Generator, load_user_class
from loadtests.interrupts import Interrupts
from loadtests.locust_csv import LocustCsv
from loadtests.locust_logging import warn_once
from loadtests.locust_shape import ScenarioShape
from loadtests.pool import pool_size
from loadtests.preparation import Target, prepare_target, seed
from loadtests.probe import Probe
from loadtests.protocol import REPORT_KEY, SETUP_MESSAGE, SETUP_REQUEST, ProtocolError, Setup, WorkerReport
from loadtests.scenario import Scenario
from loadtests.session import RunOptions, Session
from loadtests.shapes import spawn_rate
from loadtests.status import StatusLine, make_console
from loadtests.webui import hide_our_arguments_from_locust

logger = logging.getLogger("loadgate")

STOP_SLACK_S = 2.0
"""A test that stops this close to its shape's end ran whole (the shape's last tick, Locust's stop)."""


@dataclass
class UiOptions:
    scenario: Scenario
    scenario_file: Path | None
    out: Path = Path("runs")
    workers: int = 0
    """N ``loadgate worker`` processes on 127.0.0.1 (0: the users run in this process)."""
    master_bind_port: int = 5557
    slo_file: Path | None = None
    finalize: Callable[[Path], None] | None = None
    """As ``RunOptions.finalize``: writes ``summary.json`` before the folder gets its final name."""
    on_finished: Callable[[Path, bool], None] | None = None
    """Called with each finished run directory and whether it was interrupted (report, gate)."""
    console: Console = field(default_factory=make_console)


@dataclass
class LiveFigures:
    """What the page shows of the current (or last) run, as plain data."""

    run_id: str | None
    running: bool
    elapsed_s: float
    raw: dict[str, HdrHistogram]
    """Per endpoint and ``Total``, merged over every process, the whole run so far (µs)."""
    corrected: dict[str, HdrHistogram]
    failures: dict[str, int]
    sut: list[rf.SutSample]
    generator: list[rf.GeneratorSample]
    path: Path | None = None
    """The finished run directory (None while running)."""


def _merged(cells: dict, pick: Callable) -> dict[str, HdrHistogram]:
    """Per endpoint and ``Total``, the sum of the run's interval histograms; the collector's
    cells are decoded into copies, so its old intervals stay compact."""
    out: dict[str, HdrHistogram] = {}
    total = rf.new_histogram()
    for (_, ep), cell in list(cells.items()):
        hist = pick(cell)
        out.setdefault(ep, rf.new_histogram()).add(hist)
        total.add(hist)
    out[TOTAL] = total
    return dict(sorted(out.items()))


def _cell_copy(cell) -> HdrHistogram:
    return cell.hist if cell.hist is not None else (
        HdrHistogram.decode(cell.encoded) if cell.encoded else rf.new_histogram())


class UiRun(Session):
    """One test started from the page: a ``Session`` on the UI session's set-up, whose start and
    end the page decides. Keeps the SUT and generator samples it writes, for the live tabs."""

    def __init__(self, opts: RunOptions, ui: UiSession):
        super().__init__(opts)
        self.interrupts.uninstall()  # Ctrl-C ends the UI session (its own handler), not only this run
        self.ui = ui
        self.sut_samples: list[rf.SutSample] = []
        self.health_samples: list[rf.GeneratorSample] = []
        self.finished: Path | None = None
        self.csv_out: LocustCsv | None = None
        self.probe: Probe | None = None
        self.status: StatusLine | None = None

    def _health(self, row: rf.GeneratorSample) -> None:
        super()._health(row)
        if self.measuring_since is not None and self.measuring_since <= row.t <= (self.stopped_at or row.t):
            self.health_samples.append(row)

    def _probe_loop(self, probe: Probe) -> None:
        while True:
            gevent.sleep(5.0)
            self._sample(probe)

    def _sample(self, probe: Probe) -> rf.SutSample:
        sample = probe.sample()
        self.writer.append(rf.SUT, sample)
        self.sut_samples.append(sample)
        return sample

    def begin(self, env: Environment, meta: rf.Meta, monitor) -> None:
        """The test started: open the logs, take the baseline samples, start the run's loops."""
        runner = self.runner
        self.csv_out = LocustCsv(env, self.writer.file(rf.LOCUST_DIR))
        self.probe = Probe(meta.target)
        self._sample(self.probe)  # the baseline the run's counter deltas start from
        self.started_at = self.measuring_since = meta.started_at = time.time()
        meta.workers = getattr(runner, "worker_count", 0)
        base = rf.interval_start(meta.started_at)
        self.logs = (rf.HlogAppender(self.writer.file(rf.RAW_LOG), base),
                     rf.HlogAppender(self.writer.file(rf.CORRECTED_LOG), base))
        self.watch.start(self.started_at)
        self.watch.workers(runner, self.started_at, self.final_reports)
        meta.workers_seen = self.watch.records()[0]
        self.writer.write_meta(meta)
        self.status = StatusLine(self.scenario.duration or 0, self.console)
        self._loop("status tick", self._tick, runner, self.status, self.probe)
        self._loop("SUT probe", self._probe_loop, self.probe)
        if monitor is not None:
            self._loop("generator health", monitor.run, self._health)
        self._loop("interval persistence", self._persist_loop, meta)
        self.watchdog: gevent.Greenlet = gevent.spawn(self._stop_on_failure)

    def _stop_on_failure(self) -> None:
        """A loop that died (or a worker's unreadable report) ends the test, marked interrupted."""
        self.interrupts.event.wait()
        if self.finished is None and self.stopped_at is None:
            logger.warning("stopping the test: %s", self.interrupts.reason)
            runner: Any = self.runner
            gevent.spawn(runner.stop)

    def stopping(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = time.time()

    def end(self, meta: rf.Meta) -> Path:
        """The users are stopped: collect the last reports, write and rename the run directory."""
        runner: Any = self.runner
        self.stopping()
        self.watchdog.kill()
        stopped = meta.ended_at = self.stopped_at or time.time()
        planned = self.scenario.duration or 0
        if self.interrupts.reason is None and stopped - self.started_at < planned - STOP_SLACK_S:
            ran = stopped - self.started_at
            self.interrupts.reason = f"stopped from the web UI after {ran:.0f}s of {planned:.0f}s"
        self.watch.workers(runner, stopped, self.final_reports)
        self.watch.end_shortfall(stopped)
        self.watch.stop(stopped)
        if self.distributed:
            self._await_final_reports(set(runner.clients) | set(self.final_reports))
        self.loops.kill(block=True)
        if self.generator is not None:
            self.collector.absorb(self.generator.recorder.drain())
            self.calibrations.append(self.generator.calibrate("end"))
        if self.probe is not None:  # then the backlog's drain, as a headless run waits for it
            last = self._sample(self.probe)
            meta.drain = wait_for_drain(self.scenario.drain_timeout, self.probe, last, stopped, self.writer,
                                        self.console, self.interrupts)
        if self.csv_out is not None:
            self.csv_out.finish()
        self.runner = None  # shared with the UI session: _finish must not quit it
        result = self._finish(meta)
        self.runner = runner
        self.finished = result.path
        return result.path


class UiSession:
    """The page, the runner and the workers, set up once; a :class:`UiRun` per test."""

    def __init__(self, opts: UiOptions):
        self.opts = opts
        self.scenario = opts.scenario
        self.console = opts.console
        self.interrupts = Interrupts().install()
        self.run: UiRun | None = None
        self.meta: rf.Meta | None = None
        self.env: Environment
        self.target: Target
        self.web: Any = None
        self.base = Session(RunOptions(
            opts.scenario, opts.scenario_file, opts.out, spawn_workers=opts.workers,
            expect_workers=opts.workers,
            master_bind_host="127.0.0.1", master_bind_port=opts.master_bind_port, console=self.console))
        self.base.interrupts.uninstall()
        self.base.interrupts = self.interrupts
        self.finishing: gevent.Greenlet | None = None
        self.command = ["loadgate", "ui", *sys.argv[1:]]  # before Locust's page is shown an empty one
        self.pending_calibrations: list[rf.Calibration] = []
        """Workers' floors measured at set-up, before any test: the first run's."""

    # ---- set-up, once ---------------------------------------------------------------------

    def serve(self, web_port: int, web_host: str = "127.0.0.1",
              on_web_ui: Callable[[UiSession], None] | None = None) -> None:
        """Set up, show the page on ``web_host:web_port``, run every test started there; until Ctrl-C.

        ``on_web_ui`` is called once the page exists (the CLI adds its tabs and routes there).
        """
        s, opts = self.scenario, self.opts
        warn_once()
        user_class = load_user_class(s.user_class)
        distributed = opts.workers > 0
        base = self.base
        try:
            base.target = self.target = prepare_target(s, self.console, self.interrupts)
            self.accounts = seed(s, self.target, self.console, self.interrupts)
            self.shape = FormShape(s)
            env = self.env = Environment(user_classes=[user_class], shape_class=self.shape,
                                         host=self.target.url)
            env.parsed_options = self._form_defaults()
            if distributed:
                runner = base.runner = env.create_master_runner("127.0.0.1", opts.master_bind_port)
                env.events.worker_report.add_listener(self._on_worker_report)
                runner.register_message(SETUP_REQUEST, self._send_setup)
                base._spawn_workers(opts.master_bind_port)
                base._await_workers(runner)
                self.monitor = base_monitor(runner)
            else:
                base.generator = Generator(env, s, user_class, "local")
                base.generator.apply(s, self.accounts, s.seed.password)
                base.runner = env.create_local_runner()
                self.monitor = base.generator.monitor
            env.events.test_start.add_listener(self._on_test_start)
            env.events.test_stopping.add_listener(self._on_test_stopping)
            env.events.test_stop.add_listener(self._on_test_stop)
            hide_our_arguments_from_locust()
            self.web = env.create_web_ui(host=web_host, port=web_port)
            if on_web_ui is not None:
                on_web_ui(self)
            self.console.print(f"Locust web UI: http://{web_host}:{web_port}  (target {self.target.url}, "
                               f"{opts.workers} worker(s); runs into {opts.out}; Ctrl-C to quit)",
                               highlight=False)
            self.interrupts.event.wait()
            if self.run is not None and self.run.finished is None and base.runner is not None:
                base.runner.stop()
            if self.finishing is not None:
                self.finishing.join(timeout=120)
        finally:
            if self.web is not None:
                self.web.stop()
            base._teardown()

    def _form_defaults(self):
        """Locust's options, with the scenario's users and spawn rate as the start form's defaults:
        the page writes the form's values back here, and the shape reads them at start."""
        options = get_parser().parse_args([])
        options.num_users = self.scenario.users
        options.spawn_rate = spawn_rate(self.scenario)
        options.host = self.env.host
        return options

    def _send_setup(self, environment, msg, **_kwargs) -> None:
        s = self.run.scenario if self.run is not None and self.run.finished is None else self.scenario
        setup = Setup(s.model_dump(mode="json"), self.accounts, s.seed.password, self.opts.workers)
        runner: Any = self.base.runner
        runner.send_message(SETUP_MESSAGE, setup.to_message(), client_id=msg.node_id)
        self.base.set_up.add(msg.node_id)

    def _on_worker_report(self, client_id: str, data: dict) -> None:
        if self.run is not None and self.run.finished is None:
            self.run._on_worker_report(client_id, data)
        elif REPORT_KEY in data:
            try:
                report = WorkerReport.from_message(data[REPORT_KEY])
            except ProtocolError as exc:
                logger.warning("worker %s: %s", client_id, exc)
                return
            self.pending_calibrations += [rf.Calibration.model_validate(c) for c in report.calibration
                                          if c.get("when") == "start"]

    # ---- one run per test -----------------------------------------------------------------

    def _on_test_start(self, **_kwargs) -> None:
        if self.finishing is not None and not self.finishing.ready():
            self.finishing.join(timeout=60)  # the last run's directory is written first
        s = self.shape.scenario  # what the form asked for
        if not self.env.host:  # the form's host left empty: the scenario's target
            self.env.host = self.target.url
        opts = self.opts
        run_opts = RunOptions(s, opts.scenario_file, opts.out, expect_workers=opts.workers,
                              slo_file=opts.slo_file, finalize=opts.finalize, console=self.console)
        run = UiRun(run_opts, self)
        run.target, run.runner, run.generator = None, self.base.runner, self.base.generator
        run.set_up = self.base.set_up
        run.calibrations, self.pending_calibrations = list(self.pending_calibrations), []
        if self.base.runner is not None and s != self.scenario and opts.workers:
            # The form changed the users: the workers get the scenario as run.
            for client_id in list(getattr(self.base.runner, "clients", {})):
                self._send_setup(None, _Node(client_id))
        if run.generator is not None:
            run.generator.apply(s, self.accounts, s.seed.password)
            run.generator.recorder.drain()  # nothing of a previous test
            run.calibrations.append(run.generator.calibrate("start"))
        opts.out.mkdir(parents=True, exist_ok=True)
        meta = self.meta = new_meta(run, s, self.env.host, self.target.kind,
                                    pool_size(s, max(1, opts.workers)), self.command)
        run.writer = rf.RunWriter(opts.out, meta.run_id)
        run.writer.write_meta(meta)
        run.begin(self.env, meta, self.monitor)
        self.run = run
        self.console.print(f"test started from the web UI: {s.users} users, target {self.env.host}; "
                           f"run {meta.run_id}", highlight=False)

    def _on_test_stopping(self, **_kwargs) -> None:
        if self.run is not None:
            self.run.stopping()

    def _on_test_stop(self, **_kwargs) -> None:
        if self.run is None or self.run.finished is not None:
            return
        self.finishing = gevent.spawn(self._finish_run, self.run, self.meta)

    def _finish_run(self, run: UiRun, meta: rf.Meta) -> None:
        path = run.end(meta)
        self.console.print(f"run directory: {path}", highlight=False, soft_wrap=True)
        if self.opts.on_finished is not None:
            self.opts.on_finished(path, meta.interrupted)

    # ---- live figures for the page ---------------------------------------------------------

    def live(self) -> LiveFigures | None:
        """The current (or last) run's figures so far; None before the first test."""
        run = self.run
        if run is None:
            return None
        if run.generator is not None and run.finished is None:
            run.collector.absorb(run.generator.recorder.drain())
        c = run.collector
        failures: dict[str, int] = {TOTAL: 0}
        for (_, ep), n in list(c.failures.items()):
            failures[ep] = failures.get(ep, 0) + n
            failures[TOTAL] += n
        end = run.stopped_at or time.time()
        return LiveFigures(
            run_id=run.writer.final.name,
            running=run.finished is None, elapsed_s=max(0.0, end - run.started_at),
            raw=_merged(c.raw, _cell_copy), corrected=_merged(c.corrected, _cell_copy), failures=failures,
            sut=list(run.sut_samples), generator=list(run.health_samples), path=run.finished)


class FormShape(ScenarioShape):
    """The scenario's shape, with the start form's user count and host applied at each start.

    ``use_common_options`` shows Locust's user-count field (the scenario's users as default);
    ``reset_time`` is what Locust calls when a test starts, before the first tick.
    """

    use_common_options = True

    def __init__(self, scenario: Scenario):
        super().__init__(scenario)
        self.base = scenario

    def reset_time(self) -> None:
        super().reset_time()
        env = self.runner.environment if self.runner is not None else None
        options = env.parsed_options if env is not None else None
        users = getattr(options, "num_users", None) or self.base.users
        self.scenario = self.base if users == self.base.users else self.base.with_overrides(users=int(users))
        self.spawn_rate = spawn_rate(self.scenario)


def base_monitor(runner):
    from loadtests.health import HealthMonitor

    return HealthMonitor("master", users=lambda: runner.user_count)


@dataclass
class _Node:
    node_id: str


def new_meta(run: Session, s: Scenario, host: str, kind: str, connections: int,
             command: list[str]) -> rf.Meta:
    """``meta.json`` of a test started from the page: what was run (the form's users and host)."""
    created = time.time()
    run_id = provenance.run_id(run.opts.out, s.name, created)
    return rf.Meta(
        run_id=run_id, scenario_name=s.name, scenario=s.model_dump(mode="json"),
        scenario_file=str(run.opts.scenario_file) if run.opts.scenario_file else None,
        slo_file=str(run.opts.slo_file) if run.opts.slo_file else None, git_commit=provenance.git_commit(),
        packages=provenance.packages(), host=socket.gethostname(), python=platform.python_version(),
        command=command, target=host, target_kind=kind, model=s.model,
        workers=run.opts.expect_workers, created_at=created, started_at=created,
        planned_duration_s=s.duration or 0.0, connections=connections,
    )
