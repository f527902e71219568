"""CLI commands over run directories: report, gate, compare, capacity, plan, notebook.

This module is imported for every ``loadgate`` command, so pandas, matplotlib and scipy are
imported inside the commands (through ``reports``), never at the top. Bad input anywhere is one
line on stderr (``loadgate: <file>: <field>: <problem>``) and exit code 2.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from loadgate.errors import EXIT_USAGE, InputError

RunDirArg = Annotated[Path, typer.Argument(help="A run directory (runs/<run id>)", show_default=False)]
SloOpt = Annotated[Path | None, typer.Option("--slo", help="SLO file (default: the one the run names)")]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="A baseline run directory to compare with")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")]


def _console():
    from rich.console import Console

    # CI logs are not terminals: give tables room instead of wrapping them at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 160)


@contextmanager
def input_errors() -> Iterator[None]:
    """Turn bad input into one line on stderr and exit code 2 (never a traceback)."""
    try:
        yield
    except InputError as exc:
        typer.echo(f"loadgate: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@contextmanager
def progress_after(delay_s: float, steps: tuple[str, ...]) -> Iterator[Callable[[str], None]]:
    """A step callback that shows a rich progress bar only once the work has taken ``delay_s``."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.monotonic()
    bar = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(stderr=True),  # stdout carries the paths written
    )
    task = bar.add_task("", total=len(steps))
    shown = False

    def step(name: str) -> None:
        nonlocal shown
        if not shown and time.monotonic() - started > delay_s and sys.stderr.isatty():
            bar.start()
            shown = True
        done = steps.index(name) if name in steps else 0
        bar.update(task, completed=done, description=name)

    try:
        yield step
    finally:
        if shown:
            bar.stop()


def report(
    run_dir: RunDirArg,
    slo: SloOpt = None,
    baseline: BaselineOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: the run directory)")
    ] = None,
) -> None:
    """Build report.html (self-contained, with charts) and report.md for a run."""
    from reports.report import STEPS, build_report

    with input_errors(), progress_after(0.7, STEPS) as step:
        paths = build_report(run_dir, slo, baseline, out, on_step=step)
    for path in paths:
        typer.echo(str(path))


def gate(
    run_dir: RunDirArg,
    slo: SloOpt = None,
    baseline: BaselineOpt = None,
    warn_ok: Annotated[bool, typer.Option("--warn-ok", help="Exit 0 on WARN")] = False,
) -> None:
    """Judge a run against its SLO: exit 0 GO, 1 NO-GO, 3 WARN, 4 INVALID (2: bad input)."""
    from loadgate.console import print_gate
    from reports.gate import gate as run_gate

    with input_errors():
        result = run_gate(run_dir, slo, baseline, warn_ok=warn_ok)
    print_gate(result, _console())
    raise typer.Exit(result.exit_code)


def compare(
    baseline: Annotated[Path, typer.Argument(help="Baseline run directory (A)", show_default=False)],
    candidate: Annotated[Path, typer.Argument(help="Candidate run directory (B)", show_default=False)],
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="p50, p90, p95, p99 (repeatable)")
    ] = None,
    endpoint: Annotated[
        list[str] | None, typer.Option("--endpoint", help="Endpoint (repeatable); default all")
    ] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level")] = 0.95,
    min_effect: Annotated[float, typer.Option(help="Smallest relative shift called a regression")] = 0.05,
    as_json: JsonOpt = False,
) -> None:
    """Is B slower than A beyond noise? Exit 0 no regression, 1 regression, 2 bad input."""
    from reports.compare import compare_runs
    from reports.metrics import METRICS
    from reports.rundata import RunData

    metrics = metric or ["p95", "p99"]
    with input_errors():
        for m in metrics:
            if m not in METRICS or METRICS[m].percentile is None:
                raise InputError(f"--metric {m}: not a percentile (p50, p90, p95, p99, p999)")
        if not 0.5 < confidence < 1 or not 0 <= min_effect < math.inf:
            raise InputError(f"--confidence {confidence:g} must lie in (0.5, 1); --min-effect must be >= 0")
        result = compare_runs(
            RunData.open(baseline), RunData.open(candidate), endpoint, metrics, confidence, min_effect
        )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_comparison(result)
    raise typer.Exit(1 if result.regression else 0)


def _print_comparison(result) -> None:
    from rich.table import Table

    from reports.report import shift_rows

    console = _console()
    table = Table(title=f"{result.candidate} against baseline {result.baseline}", title_justify="left")
    cols = ["endpoint", "metric", "baseline", "candidate", "shift", "interval", "p", "windows", "verdict"]
    heads = [
        "endpoint",
        "metric",
        "baseline ms",
        "candidate ms",
        "shift",
        f"{result.confidence:.0%} interval",
        "p (Holm)",
        "windows",
        "verdict",
    ]
    for head in heads:
        table.add_column(head, justify="left" if head in ("endpoint", "metric", "verdict") else "right")
    for row in shift_rows(result):
        style = "bold red" if row["verdict"].startswith("regression") else ""
        table.add_row(*[row[c] for c in cols], style=style)
    console.print(table)
    word = "[bold red]regression[/]" if result.regression else "[green]no regression[/]"
    console.print(f"{word} (a regression: a significant shift up of {result.min_effect:.0%} or more)")


def capacity(
    run_dirs: Annotated[list[Path], typer.Argument(help="A steps run, or several runs at different loads")],
    slo: Annotated[Path | None, typer.Option("--slo", help="SLO file: its Total p95 marks the break")] = None,
    p95_limit: Annotated[
        float | None, typer.Option("--p95-limit", help="p95 limit in ms (instead of --slo)")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write the fit over the points as PNG")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the Universal Scalability Law to throughput against concurrency; say where p95 breaks."""
    from reports.capacity import analyse
    from reports.rundata import RunData
    from reports.slo import load_slo

    with input_errors():
        if p95_limit is not None and not 0 < p95_limit < math.inf:
            raise InputError(f"--p95-limit {p95_limit:g}: must be a number of ms above 0")
        runs = [RunData.open(p) for p in run_dirs]
        limit = p95_limit
        if limit is None and slo is not None:
            limit = load_slo(slo).absolute_limit("Total", "p95")
            if limit is None:
                raise InputError(f"{slo}: endpoints.Total.p95: no absolute fail level to find the break at")
        result = analyse(runs, p95_limit_ms=limit)
    if chart is not None:
        from loadgate.runformat import write_atomic
        from reports.charts import throughput_vs_concurrency

        write_atomic(chart, throughput_vs_concurrency(result.steps, result.fit, result.slo_break))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=float))
        return
    from rich.table import Table

    from loadgate.runformat.figures import format_ms

    console = _console()
    table = Table(title="Plateaus", title_justify="left")
    for head in ("run", "users", "throughput rps", "p95 ms", "p99 ms", "steady intervals"):
        table.add_column(head, justify="left" if head == "run" else "right")
    for s in result.steps:
        table.add_row(s.run, f"{s.users:,}", f"{s.throughput:,.1f}", format_ms(s.p95), format_ms(s.p99),
                      str(s.intervals))
    console.print(table)
    for line in result.lines():
        console.print(line, highlight=False)
    if chart is not None:
        console.print(f"chart: {chart}")


def plan(
    users: Annotated[int, typer.Option("--users", help="Concurrent users to carry")],
    rpm: Annotated[float, typer.Option("--rpm", help="Requests per minute to serve")],
    from_: Annotated[
        list[Path] | None, typer.Option("--from", help="Measured run directories (repeatable)")
    ] = None,
    worker_users: Annotated[float | None, typer.Option(help="Users per Locust worker")] = None,
    worker_rps: Annotated[float | None, typer.Option(help="Requests/s per Locust worker")] = None,
    replica_rps: Annotated[float | None, typer.Option(help="Requests/s per API replica")] = None,
    headroom: Annotated[float | None, typer.Option(help="Multiplier on the load (1.3 = 30% spare)")] = None,
    nodes: Annotated[int | None, typer.Option(help="Nodes to spread over")] = None,
    run_replicas: Annotated[
        int | None, typer.Option(help="API processes that served the --from runs (default: as recorded)")
    ] = None,
    slo: Annotated[
        Path | None, typer.Option("--slo", help="SLO whose Total p95 bounds replica capacity")
    ] = None,
    as_json: JsonOpt = False,
    patch_out: Annotated[
        Path | None, typer.Option("--patch-out", help="Write a kustomize patch here")
    ] = None,
) -> None:
    """Size the swarm and the API: Locust workers and API replicas for a target load."""
    from reports.plan import kustomize_patch, make_plan, plan_rows
    from reports.rundata import RunData

    with input_errors():
        runs = [RunData.open(p) for p in from_ or []]
        limit = None
        if slo is not None:
            from reports.slo import load_slo

            limit = load_slo(slo).absolute_limit("Total", "p95")
        result = make_plan(
            users,
            rpm,
            runs=runs,
            worker_users=worker_users,
            worker_rps=worker_rps,
            replica_rps=replica_rps,
            headroom=headroom,
            nodes=nodes,
            run_replicas=run_replicas,
            p95_limit_ms=limit,
        )
    if patch_out is not None:
        from loadgate.runformat import write_atomic

        write_atomic(patch_out, kustomize_patch(result))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    from rich.table import Table

    console = _console()
    table = Table(title="loadgate plan", title_justify="left")
    table.add_column("")
    table.add_column("from measured figures")
    table.add_column("scaling plan's estimate")
    for row in plan_rows(result):
        table.add_row(*row)
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    if patch_out is not None:
        console.print(f"kustomize patch: {patch_out}")


def notebook(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")],
    slo: SloOpt = None,
) -> None:
    """Execute the capacity notebook for the runs and render it to HTML, code hidden."""
    from reports.notebook import render_notebook

    with input_errors():
        path = render_notebook(run_dirs, out, slo)
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the loadgate app."""
    for command in (report, gate, compare, capacity, plan, notebook):
        app.command(name=command.__name__)(command)
