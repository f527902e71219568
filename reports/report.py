"""The report of one run: ``report.html`` (self-contained, with charts) and ``report.md``.

    paths = build_report("runs/20261128-130000-smoke")           # SLO from meta.json, if any
    sorted(p.name for p in paths)
    ['report.html', 'report.md']
    build_report("runs/r2", baseline_dir="runs/r1", out_dir="out", on_step=print)
    reading latency logs
    ...

Everything is read and checked before anything is written, so bad input (a corrupt run, an SLO
with an unknown endpoint) leaves earlier reports as they were.

The charts are the list :data:`CHARTS`: each computes its numbers once (``reports.chartdata``) and
draws them as a PNG (``reports.charts``) and, when it has an interactive form, as an ECharts chart
in report.html (``reports.interactive``). A new chart is one entry there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadgate.runformat import write_atomic
from loadgate.runformat.figures import NONE, format_ms, format_value
from reports import chartdata, charts, interactive
from reports.capacity import CapacityResult
from reports.compare import Comparison
from reports.gate import GateResult
from reports.rundata import RunData
from reports.slo import Slo, load_slo

HTML_FILE = "report.html"
MD_FILE = "report.md"


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the report: ``data(run)`` computes its numbers once; ``png(run, data)`` draws
    them as an image (for readers without scripts, notebooks, attachments) and
    ``interactive(run, data)``, when given, makes the ECharts option report.html shows instead."""

    step: str
    title: str
    data: Callable[[RunData], Any]
    png: Callable[[RunData, Any], bytes]
    interactive: Callable[[RunData, Any], dict[str, Any]] | None = None


CHARTS = (
    ChartSpec("latency chart", "Latency over time (p50 / p95 / p99)", chartdata.latency,
              charts.latency_over_time, interactive.latency),
    ChartSpec("percentile spectrum", "Percentile spectrum per endpoint", chartdata.spectrum,
              charts.percentile_spectrum, interactive.spectrum),
    ChartSpec("throughput chart", "Throughput and users", chartdata.timeline, charts.throughput_and_users,
              interactive.throughput),
    ChartSpec("errors chart", "Errors over time", chartdata.timeline, charts.errors_over_time,
              interactive.errors),
    ChartSpec("cache chart", "Cache hit ratio over time", chartdata.cache_hits, charts.cache_hit_over_time,
              interactive.cache),
)
"""The charts of every report, in the order shown (throughput against concurrency follows for step runs)."""

STEPS = (
    "reading latency logs",
    "summary",
    "verdict",
    *(chart.step for chart in CHARTS),
    "backlog chart",
    "capacity",
    "writing",
)
"""What :func:`build_report` announces through ``on_step``, in order (for progress bars)."""


@dataclass
class ReportChart:
    """A drawn chart: its title, the PNG (base64) and, if interactive, its ECharts option."""

    title: str
    png: str
    option: dict[str, Any] | None = None


@dataclass
class ReportContent:
    """Everything the HTML and Markdown views show, computed once."""

    run: RunData
    facts: list[tuple[str, str]]
    endpoint_columns: list[str]
    endpoints: list[dict[str, str]]
    charts: list[ReportChart] = field(default_factory=list)
    gate: GateResult | None = None
    criteria: list[dict[str, str]] = field(default_factory=list)
    comparison: Comparison | None = None
    shifts: list[dict[str, str]] = field(default_factory=list)
    capacity: CapacityResult | None = None
    sut: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    slo_note: str = ""


def criteria_rows(gate: GateResult) -> list[dict[str, str]]:
    return [
        {
            "criterion": r.name,
            "name": r.name,
            "measured": format_value(r.measured, r.unit),
            "limit": r.limit,
            "baseline": format_value(r.baseline, r.unit) if r.baseline is not None else "",
            "delta": f"{r.delta:+.1%}" if r.delta is not None and math.isfinite(r.delta) else "",
            "result": r.result,
            "note": r.note,
        }
        for r in gate.criteria
    ]


def shift_rows(comparison: Comparison) -> list[dict[str, str]]:
    rows = []
    for s in comparison.shifts:
        ci = s.relative_ci
        rows.append(
            {
                "endpoint": s.endpoint,
                "metric": s.metric,
                "baseline": format_ms(s.baseline_median),
                "candidate": format_ms(s.candidate_median),
                "shift": f"{s.relative:+.1%}" if s.relative is not None else NONE,
                "interval": f"[{ci[0]:+.1%}, {ci[1]:+.1%}]" if ci else NONE,
                "p": f"{s.p_adjusted:.3g}" if s.p_adjusted is not None else NONE,
                "windows": f"{s.n_baseline} / {s.n_candidate}" if s.window else NONE,
                "verdict": s.verdict + (f" ({s.note})" if s.note else ""),
            }
        )
    return rows


def resolve_slo(run: RunData, slo_file: Path | str | None) -> tuple[Slo | None, str]:
    """The SLO to judge by: the one given, else the one ``meta.json`` names if it can be found.

    A given file must load (bad input otherwise); a named one that is gone is only a note.
    """
    if slo_file:
        return load_slo(slo_file), ""
    path = run.slo_path()
    if path is None:
        return None, "No SLO: the run names none; pass --slo FILE for a verdict."
    if not path.is_file():
        return (
            None,
            f"No verdict: the SLO file the run names ({run.meta.slo_file}) is not here; pass --slo FILE.",
        )
    return load_slo(path), ""


def collect(
    run_dir: Path | str,
    slo_file: Path | str | None = None,
    baseline_dir: Path | str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ReportContent:
    """Read the run (and baseline), judge it, draw the charts: everything but writing."""
    from reports.capacity import analyse
    from reports.gate import evaluate
    from reports.html import data_uri_png
    from reports.plateaus import steps_of
    from reports.tables import ENDPOINT_COLUMNS, endpoint_rows, run_facts, sut_tables

    step = on_step or (lambda _name: None)
    run = RunData.open(run_dir)
    slo, slo_note = resolve_slo(run, slo_file)
    baseline = RunData.open(baseline_dir) if baseline_dir else None

    step("reading latency logs")
    run.raw, run.corrected  # noqa: B018 -- load both now, so the progress bar shows the slow part
    step("summary")
    summary = run.summary
    content = ReportContent(run, run_facts(run), ENDPOINT_COLUMNS, endpoint_rows(summary), slo_note=slo_note)
    step("verdict")
    if slo is not None:
        content.gate = evaluate(run, slo, baseline)
        content.criteria = criteria_rows(content.gate)
        content.comparison = content.gate.comparison
    elif baseline is not None:
        from reports.compare import compare_runs

        content.comparison = compare_runs(baseline, run)
    if content.comparison is not None:
        content.shifts = shift_rows(content.comparison)
    for chart in CHARTS:
        step(chart.step)
        data = chart.data(run)
        option = chart.interactive(run, data) if chart.interactive else None
        content.charts.append(ReportChart(chart.title, data_uri_png(chart.png(run, data)), option))
    step("backlog chart")
    if summary.queues:  # the API publishes events: its backlog, and how long it took to drain
        backlog = data_uri_png(charts.backlog_over_time(run))
        content.charts.append(ReportChart("Event backlog and drain", backlog))
    step("capacity")
    steps = steps_of(run)
    if len({s.users for s in steps}) >= 2:
        limit = slo.absolute_limit("Total", "p95") if slo else None
        content.capacity = analyse([run], p95_limit_ms=limit)
        png = charts.throughput_vs_concurrency(
            content.capacity.steps, content.capacity.fit, content.capacity.slo_break
        )
        content.charts.append(ReportChart("Throughput against concurrency", data_uri_png(png)))
    content.sut = sut_tables(run)
    return content


def build_report(
    run_dir: Path | str,
    slo_file: Path | str | None = None,
    baseline_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[Path]:
    """Build ``report.html`` and ``report.md`` into ``out_dir`` (default: the run directory)."""
    from reports.html import render_html
    from reports.markdown import render_markdown

    content = collect(run_dir, slo_file, baseline_dir, on_step)
    html, md = render_html(content), render_markdown(content)
    if on_step:
        on_step("writing")
    out = Path(out_dir) if out_dir else content.run.path
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / HTML_FILE, out / MD_FILE]
    write_atomic(paths[0], html)
    write_atomic(paths[1], md)
    return paths
