"""Helpers for the reports tests: SLO files, SUT counters, and the ``loadgate`` command run as a
user runs it (synthetic run directories come from ``reports.synthetic``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from loadgate import runformat as rf
from testsupport.synthetic import Endpoint

LOADGATE = Path(sys.executable).with_name("loadgate")
TWO_ENDPOINTS = {
    "GET /tasks": Endpoint(rps=40, median_ms=15, cache_hit_ratio=0.8),
    "POST /tasks": Endpoint(rps=10, median_ms=30, error_rate=0.02),
}
"""A cached read endpoint and a failing write endpoint: every chart of a report has something to show."""


def loadgate(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``loadgate`` command; output captured as text."""
    return subprocess.run(
        [str(LOADGATE), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def write_slo(path: Path, text: str) -> Path:
    """An SLO file from an indented YAML snippet."""
    path.write_text(textwrap.dedent(text))
    return path


def sut_counters(
    t0: float, hits: list[float], misses: list[float], endpoint: str = "GET /tasks", cache: str = "task_list"
) -> list[rf.SutSample]:
    """Cumulative cache counters sampled every 5 s."""
    return [
        rf.SutSample(
            t=t0 + 5 * i, cache={endpoint: {"hit": h, "miss": m}}, caches={cache: {"hit": h, "miss": m}}
        )
        for i, (h, m) in enumerate(zip(hits, misses, strict=True))
    ]


def plotted(fig) -> dict[str, np.ndarray]:
    """Every labelled line of a matplotlib figure: its y values."""
    return {
        line.get_label(): np.asarray(line.get_ydata(), dtype=float)
        for ax in fig.axes
        for line in ax.lines
        if not line.get_label().startswith("_")
    }
