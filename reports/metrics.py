"""The figures an SLO may bound, and which way each is worse: the gate's vocabulary.

    >>> METRICS["p99"].min_samples, METRICS["p999"].min_samples, METRICS["rps"].min_samples
    (100, 1000, 1)
    >>> METRICS[ALIASES["p99.9"]].unit, RUN_METRICS["lost_writes"].unit
    ('ms', 'count')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from loadgate.runformat.figures import min_samples

Direction = Literal["upper", "lower"]


@dataclass(frozen=True)
class Metric:
    """A measurable figure of one endpoint: which way is worse, its unit, its percentile."""

    name: str
    direction: Direction
    unit: str
    percentile: float | None = None

    @property
    def min_samples(self) -> int:
        """Samples needed before this figure means anything (``loadgate.runformat.figures.min_samples``:
        the rule every table and the gate share)."""
        return min_samples(self.percentile)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("p50", "upper", "ms", 50),
        Metric("p90", "upper", "ms", 90),
        Metric("p95", "upper", "ms", 95),
        Metric("p99", "upper", "ms", 99),
        Metric("p999", "upper", "ms", 99.9),
        Metric("max", "upper", "ms"),
        Metric("error_rate", "upper", "ratio"),
        Metric("rps", "lower", "rps"),
        Metric("cache_hit_ratio", "lower", "ratio"),
    )
}
RUN_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("lost_writes", "upper", "count"),
        Metric("phantom_writes", "upper", "count"),
        Metric("stale_reads", "upper", "count"),
    )
}
"""Figures of the whole run (``summary.json``'s ``run_figures``), bounded under ``run:`` in SLO files."""
RUN = "run"
"""The endpoint name of run-level criteria and their gate rows."""
AUDIT_DEFAULTS = {"lost_writes": 0.0, "stale_reads": 0.0}
"""Fail levels an auditing run is held to when its SLO does not bound these figures itself."""
ALIASES = {"p99.9": "p999", "p999": "p999"}
"""Other spellings of a metric in SLO files."""
