"""CLI commands that generate load: ``loadgate run``, ``master``, ``worker`` and ``ui``.

    loadgate run smoke                                  # one process, the API started locally; gated
    loadgate run smoke --no-gate                        # only run: no report, no verdict
    loadgate run scenarios/smoke.yaml --workers 2       # a master here plus 2 worker processes
    loadgate master baseline-1k --expect-workers 4 --target http://api:8000 --out /runs
    loadgate worker baseline-1k --master-host locust-master
    loadgate ui smoke --workers 2                       # the Locust web UI; each test a run directory

Locust monkey-patches the process with gevent when imported, and this module is imported for
every ``loadgate`` command (``loadgate serve`` included): so Locust and the ``loadtests`` runtime
are imported inside the command functions only, after the scenario file has been validated.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from loadgate.errors import EXIT_INTERRUPTED, EXIT_USAGE, InputError
from loadgate.paths import scenarios_dir

ScenarioArg = Annotated[str, typer.Argument(help="A scenario file, or a name in scenarios/ ('smoke').")]
Target = Annotated[str | None, typer.Option(help="The API's base URL, or 'local' to start it here.")]
Out = Annotated[Path, typer.Option(help="Folder the run directory is written into.")]
Duration = Annotated[str | None, typer.Option(help="Override the duration: seconds or '90s', '10m'.")]
Users = Annotated[int | None, typer.Option(min=1, help="Override the peak users (open model: rate scales).")]


def _fail(command: str, exc: InputError) -> typer.Exit:
    typer.echo(f"loadgate {command}: {exc}", err=True)
    return typer.Exit(EXIT_USAGE)


def scenario_path(arg: str) -> Path:
    """A path as given, else the shipped ``scenarios/<arg>.yaml`` when that exists."""
    path = Path(arg)
    if path.exists():
        return path
    shipped = scenarios_dir()
    for candidate in (shipped / arg, shipped / f"{arg}.yaml"):
        if candidate.is_file():
            return candidate
    return path


def _load(arg: str, target: str | None = None, duration: str | None = None, users: int | None = None):
    from loadtests.scenario import load_scenario, parse_seconds

    path = scenario_path(arg)
    scenario = load_scenario(path)
    try:
        seconds = parse_seconds(duration) if duration is not None else None
    except ValueError as exc:
        raise InputError(f"--duration: {exc}") from None
    if seconds == 0:
        raise InputError("--duration: must be greater than 0")
    return scenario.with_overrides(target=target, duration=seconds, users=users), path


def _write_summary(run_dir: Path) -> None:
    """summary.json, rebuilt from the logs, inside the run directory before it gets its final name."""
    from reports.summary import write_summary

    write_summary(run_dir)


def _print_summary(run_dir: Path) -> None:
    """The end-of-run table (the report's own rows), the validity reasons and where the run is."""
    from loadgate.console import print_run_summary
    from loadgate.runformat import RunDir
    from reports.faults import fault_costs, fault_line

    run = RunDir.open(run_dir)
    print_run_summary(run.summary(), run_dir, notes=[f"fault: {fault_line(c)}" for c in fault_costs(run)])


def _logging() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(scenario: ScenarioArg, target: Target = None,
        workers: Annotated[int, typer.Option(min=0, help="Worker processes (0: one local process).")] = 0,
        out: Out = Path("runs"), duration: Duration = None, users: Users = None,
        slo: Annotated[Path | None, typer.Option(help="SLO file (default: the scenario's).")] = None,
        no_gate: Annotated[bool, typer.Option(
            "--no-gate", help="Only run: no report and no verdict, exit 0 when complete.")] = False,
        keep_worker_logs: Annotated[bool, typer.Option(
            help="Keep the worker processes' log folder (removed by default).")] = False) -> None:
    """Run SCENARIO, write its run directory and, when it names an SLO, report and gate it.

    With an SLO (--slo or the scenario's) the run directory also gets report.html, report.md,
    verdict.json and junit.xml, and the exit code is the verdict: 0 GO, 1 NO-GO, 3 WARN,
    4 INVALID. Without one, or with --no-gate: 0 when complete. 2 for bad input, 130 when
    interrupted.
    """
    try:
        loaded, path = _load(scenario, target, duration, users)
        slo_file = slo.resolve() if slo else loaded.slo_path(path)
        if slo_file is not None and not slo_file.is_file():
            raise InputError(f"--slo: {slo_file} does not exist")
        _logging()
        from loadgate.paths import free_port
        from loadtests.session import RunOptions, run_scenario

        result = run_scenario(RunOptions(
            loaded, path, out, spawn_workers=workers, expect_workers=workers, master_bind_host="127.0.0.1",
            master_bind_port=free_port() if workers else 5557, slo_file=slo_file,
            finalize=_write_summary, keep_worker_logs=keep_worker_logs))
        _print_summary(result.path)
        if result.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if no_gate or slo_file is None:
            raise typer.Exit(0)
        code = _report_and_gate(result.path, slo_file)
    except InputError as exc:
        raise _fail("run", exc) from None
    raise typer.Exit(code)


def _report_and_gate(run_dir: Path, slo_file: Path) -> int:
    """report.html and report.md, then verdict.json and junit.xml, into the run directory; the verdict's
    exit code. The report comes first so a NO-GO has its explanation beside it."""
    from loadgate.console import print_gate
    from reports.gate import gate
    from reports.report import build_report

    for written in build_report(run_dir, slo_file):
        typer.echo(f"report: {written}")
    verdict = gate(run_dir, slo_file)
    print_gate(verdict)
    return verdict.exit_code


def master(scenario: ScenarioArg,
           expect_workers: Annotated[int, typer.Option(min=1, help="Workers to wait for before starting.")],
           target: Target = None, out: Out = Path("runs"),
           slo: Annotated[Path | None, typer.Option(help="SLO file (default: the scenario's).")] = None,
           master_bind_host: Annotated[str, typer.Option(help="Interface workers connect to.")] = "*",
           master_bind_port: Annotated[int, typer.Option(help="Port workers connect to.")] = 5557,
           web_host: Annotated[str, typer.Option(help="Interface of the read-only web UI.")] = "127.0.0.1",
           web_port: Annotated[int, typer.Option(help="Locust web UI port (0: none).")] = 8089,
           duration: Duration = None, users: Users = None) -> None:
    """Headless master: wait for the workers, run, write the run directory, then gate it.

    With an SLO (--slo or the scenario's) the exit code is the verdict: 0 GO, 1 NO-GO, 3 WARN,
    4 INVALID; 2 for bad input, 130 when interrupted.
    """
    try:
        loaded, path = _load(scenario, target, duration, users)
        slo_file = slo.resolve() if slo else loaded.slo_path(path)
        if slo_file is not None and not slo_file.is_file():
            raise InputError(f"--slo: {slo_file} does not exist")
        _logging()
        from loadtests.session import RunOptions, run_scenario

        result = run_scenario(RunOptions(
            loaded, path, out, expect_workers=expect_workers, master_bind_host=master_bind_host,
            master_bind_port=master_bind_port, web_host=web_host, web_port=web_port or None,
            slo_file=slo_file, finalize=_write_summary))
        _print_summary(result.path)
        if result.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if slo_file is None:
            raise typer.Exit(0)
        from loadgate.console import print_gate
        from reports.gate import gate

        verdict = gate(result.path, slo_file)
        print_gate(verdict)
    except InputError as exc:
        raise _fail("master", exc) from None
    raise typer.Exit(verdict.exit_code)


def worker(scenario: ScenarioArg,
           master_host: Annotated[str, typer.Option(help="Host of the master.")] = "127.0.0.1",
           master_port: Annotated[int, typer.Option(help="The master's bind port.")] = 5557) -> None:
    """A Locust worker for a master: runs users, records every request, ships the histograms."""
    try:
        loaded, _ = _load(scenario)
        _logging()
        from loadtests.worker import run_worker

        code = run_worker(loaded, master_host, master_port)
    except InputError as exc:
        raise _fail("worker", exc) from None
    raise typer.Exit(code)


def ui(scenario: ScenarioArg, target: Target = None,
       web_port: Annotated[int, typer.Option(help="Port of the web UI on 127.0.0.1.")] = 8089,
       workers: Annotated[int, typer.Option(min=0, help="Worker processes (0: one local process).")] = 0,
       out: Out = Path("runs"), duration: Duration = None, users: Users = None,
       slo: Annotated[Path | None, typer.Option(help="SLO file (default: the scenario's).")] = None) -> None:
    """The Locust web UI (127.0.0.1): each test started there leaves a run directory, report and verdict.

    The scenario's users and shape are the start form's defaults; Ctrl-C quits.
    """
    try:
        loaded, path = _load(scenario, target, duration, users)
        slo_file = slo.resolve() if slo else loaded.slo_path(path)
        if slo_file is not None and not slo_file.is_file():
            raise InputError(f"--slo: {slo_file} does not exist")
        _logging()
        from loadgate.paths import free_port
        from loadgate.webui import LoadgatePage
        from loadtests.status import make_console
        from loadtests.ui_session import UiOptions
        from loadtests.webui import run_ui

        page = LoadgatePage(slo_file)
        port = free_port() if workers else 5557
        opts = UiOptions(loaded, path, out, workers=workers, master_bind_port=port, slo_file=slo_file,
                         finalize=_write_summary, on_finished=page.finish, console=make_console())
        run_ui(opts, web_port, on_web_ui=page.attach)
    except InputError as exc:
        raise _fail("ui", exc) from None


def register(app: typer.Typer) -> None:
    """Add this module's commands to the loadgate app."""
    for command in (run, master, worker, ui):
        app.command()(command)
