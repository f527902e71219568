"""The numbers each report chart shows, computed once and drawn twice: as a PNG (``reports.charts``)
and as an interactive chart in ``report.html`` (``reports.interactive``), so a hovered value is the
value the PNG plots.

    run = RunData.open("runs/r1")
    series = latency(run)                          # per endpoint, and Total merged by adding histograms
    series[TOTAL][["p50", "p95", "p99"]].head(1)   # ms, per interval
               p50    p95    p99
    t
    1000.0   1.203  4.011  6.207
    spectrum(run)["corrected"]["GET /tasks"].tail(1)   # ms at 99.99 %, corrected for coordinated omission
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loadgate.runformat import TOTAL
from reports.rundata import RunData

LATENCY_PERCENTILES = (50, 95, 99)
NINES = 4
"""The spectrum reaches 99.99 %: four nines."""

Spectrum = dict[str, dict[str, pd.Series] | None]
"""``{"raw": {endpoint: series, ..., "Total": series}, "corrected": ... or None}``."""


def elapsed(run: RunData, t: np.ndarray) -> tuple[np.ndarray, str]:
    """Seconds since measurement began, as minutes when the run is long, and the axis label."""
    offset = np.asarray(t, dtype=float) - run.meta.started_at
    if run.meta.duration_s > 900:
        return offset / 60.0, "minutes since start"
    return offset, "seconds since start"


def latency(run: RunData) -> dict[str, pd.DataFrame]:
    """Per interval (index ``t``): ``count``, ``p50``, ``p95``, ``p99`` and ``max`` in ms, for each
    endpoint and for ``Total`` (the endpoints of an interval merged by adding their histograms)."""
    log = run.raw
    series = {name: log.over_time(name, LATENCY_PERCENTILES) for name in log.endpoints}
    series[TOTAL] = log.over_time(percentiles=LATENCY_PERCENTILES)
    return series


def spectrum(run: RunData) -> Spectrum:
    """Latency (ms) against percentile per endpoint and ``Total``, raw and corrected for coordinated
    omission (None: the run has no corrected log); an endpoint that recorded nothing is left out."""
    out: Spectrum = {}
    for kind, log in (("raw", run.raw), ("corrected", run.corrected)):
        if log is None:
            out[kind] = None
            continue
        lines = {}
        if len(log.endpoint):
            for name in run.raw.endpoints:
                line = log.spectrum(name, NINES)
                if line.notna().any():
                    lines[name] = line
            lines[TOTAL] = log.spectrum(TOTAL, NINES)
        out[kind] = lines
    return out


def timeline(run: RunData) -> pd.DataFrame:
    """Users, requests/s, failures/s and the error ratio per interval (``RunData.timeline``)."""
    return run.timeline


def workers_lost(run: RunData) -> list[float]:
    """When load-generator processes were lost (epoch s), for a mark on the users line."""
    return [w.lost_at for w in run.meta.workers_seen if w.lost_at is not None]


def cache_hits(run: RunData) -> pd.DataFrame:
    """Hit ratio (0–1) per cache and ``Total`` between consecutive ``/metrics`` scrapes."""
    from reports.sut import cache_ratio_over_time

    return cache_ratio_over_time(run.sut)


def nines(percentiles: pd.Index | np.ndarray) -> np.ndarray:
    """Percentiles on the spectrum's axis, ``-log10(1 − q)``: 90 % -> 1, 99 % -> 2, 99.9 % -> 3."""
    return -np.log10(1 - np.asarray(percentiles, dtype=float) / 100)
