"""The plateaus of a run: levels of users held long enough to measure a steady throughput.

    [(s.users, round(s.throughput), s.p95) for s in steps_of(RunData.open("runs/capacity-steps"))]
    [(100, 410, 12.3), (200, 790, 14.1), ...]

Each plateau's throughput comes from ``timeline.jsonl``; its p95 / p99 from the interval
histograms of its steady intervals, merged by adding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reports.latency import values_at
from reports.rundata import RunData

SETTLE_INTERVALS = 1
"""Intervals left out at the start of each plateau: the ramp to the new level is not steady."""
MIN_STEADY_INTERVALS = 2
"""A plateau needs at least this many steady intervals to count as a point."""


@dataclass
class Step:
    """One plateau: ``users`` held over ``intervals`` steady intervals of one run."""

    run: str
    users: int
    start: float
    end: float
    intervals: int
    requests: int
    throughput: float
    p95: float | None = None
    p99: float | None = None
    samples: int = 0


def steps_of(
    run: RunData, settle: int = SETTLE_INTERVALS, min_intervals: int = MIN_STEADY_INTERVALS
) -> list[Step]:
    """The plateaus of one run: consecutive intervals at the same number of users.

    A constant-load run is one plateau; a ramp has none (no level is held). The first ``settle``
    intervals of each plateau are left out.
    """
    tl = run.timeline
    if tl.empty:
        return []
    users = tl["users"].to_numpy()
    level_id = np.concatenate([[0], np.cumsum(users[1:] != users[:-1])])
    out = []
    for level in np.unique(level_id):
        part = tl[level_id == level].iloc[settle:]
        n_users = int(part["users"].iloc[0]) if len(part) else 0
        if len(part) < min_intervals or n_users <= 0:
            continue
        starts = part.index.to_numpy()
        rows = np.flatnonzero(np.isin(run.raw.start, starts))
        merged = run.raw.merged(rows)
        p95, p99 = (values_at(merged, [95, 99])[0] / 1000.0) if merged.sum() else (np.nan, np.nan)
        out.append(
            Step(
                run=run.name,
                users=n_users,
                start=float(starts[0]),
                end=float(starts[-1] + part["interval_s"].iloc[-1]),
                intervals=len(part),
                requests=int(part["requests"].sum()),
                throughput=float(part["requests"].sum() / part["interval_s"].sum()),
                p95=None if np.isnan(p95) else float(p95),
                p99=None if np.isnan(p99) else float(p99),
                samples=int(merged.sum()),
            )
        )
    return out
