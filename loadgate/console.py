"""What the CLI prints: the end-of-run table, the gate's criteria and verdict (rich).

Printing lives here, with the CLI; ``reports`` builds the figures and rows, never the console.

    print_run_summary(RunDir.open(path).summary(), path)
    print_gate(gate(path, slo_file))
"""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.table import Table

from loadgate.runformat import Summary
from loadgate.runformat.figures import SAMPLES_NOTE, format_value
from loadtests.status import make_console
from reports.gate import GateResult
from reports.tables import ENDPOINT_COLUMNS, endpoint_rows, run_figures_line


def print_run_summary(summary: Summary, run_dir: Path, console: Console | None = None,
                      notes: list[str] | None = None) -> None:
    """Per endpoint and total, with the report's own cells; then the run's figures, ``notes``
    (what each fault cost), validity and the run's folder."""
    console = console or make_console()
    table = Table(title=f"{summary.run_id}: {summary.duration_s:.0f}s, up to {summary.users_max:,} users",
                  title_justify="left", caption=SAMPLES_NOTE, caption_justify="left")
    for col in ENDPOINT_COLUMNS:
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    rows = endpoint_rows(summary)
    for row in rows:
        table.add_row(*(row[c] for c in ENDPOINT_COLUMNS), style="bold" if row is rows[-1] else None)
    console.print(table)
    figures = run_figures_line(summary)
    if figures:
        console.print(f"run figures: {figures}", highlight=False, soft_wrap=True)  # one line to grep
    for note in notes or []:
        console.print(note, highlight=False, soft_wrap=True)
    for reason in summary.validity.reasons:
        console.print(f"[yellow]not valid[/]: {reason}", highlight=False, soft_wrap=True)
    console.print(f"run directory: {run_dir}", highlight=False, soft_wrap=True)


STYLES = {
    "pass": "green",
    "warn": "yellow",
    "fail": "bold red",
    "invalid": "magenta",
    "skipped": "dim",
    "GO": "bold green",
    "WARN": "bold yellow",
    "NO-GO": "bold red",
    "INVALID": "bold magenta",
}


def print_gate(result: GateResult, console=None) -> None:
    """Print the criteria table and the verdict with rich."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"{result.run_id} against {result.slo_file}", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("criterion", "left"),
        ("measured", "right"),
        ("limit", "left"),
        ("baseline", "right"),
        ("delta", "right"),
        ("result", "left"),
        ("note", "left"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify, overflow="fold")
    for r in result.criteria:
        table.add_row(
            r.name,
            format_value(r.measured, r.unit),
            r.limit,
            format_value(r.baseline, r.unit) if r.baseline is not None else "",
            f"{r.delta:+.1%}" if r.delta is not None and math.isfinite(r.delta) else "",
            f"[{STYLES[r.result]}]{r.result.upper()}[/]",
            r.note,
        )
    console.print(table)
    for reason in result.reasons:
        console.print(f"[magenta]invalid[/]: {reason}")
    suffix = " (accepted: --warn-ok)" if result.verdict == "WARN" and result.warn_ok else ""
    console.print(
        f"verdict: [{STYLES[result.verdict]}]{result.verdict}[/]{suffix}  (exit {result.exit_code})"
    )
