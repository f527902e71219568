"""The figures an SLO may bound, and which way each is worse: the gate's vocabulary.

    >>> METRICS["p99"].min_samples, METRICS["p999"].min_samples, METRICS["rps"].min_samples
    (100, 1000, 1)
    >>> METRICS[ALIASES["p99.9"]].unit, RUN_METRICS["lost_writes"].unit
    ('ms', 'count')
    >>> RUN_METRICS["drain_seconds"].direction, RUN_METRICS["drain_seconds"].unit
    ('upper', 's')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from loadgate.runformat.figures import min_samples

Direction = Literal["upper", "lower"]


@dataclass(frozen=True)
class Metric:
    """A measurable figure of one endpoint (or of the whole run): which way is worse, its unit,
    its percentile."""

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
RUN = "run"
"""The ``endpoint`` of a criterion on a figure of the whole run (``run:`` in SLO files)."""

RUN_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("lost_writes", "upper", "count"),
        Metric("phantom_writes", "upper", "count"),
        Metric("stale_reads", "upper", "count"),
        Metric("queue_lag_max", "upper", "s"),
        Metric("drain_seconds", "upper", "s"),
    )
}
"""Figures of the whole run (``summary.json`` ``run_figures``), bounded under ``run:`` in SLO files
and documented in ``docs/slo.md``."""
AUDIT_DEFAULTS = {"lost_writes": 0.0, "stale_reads": 0.0}
"""Fail levels an auditing run is held to when its SLO does not bound these figures itself."""
ALIASES = {"p99.9": "p999", "p999": "p999"}
"""Other spellings of a metric in SLO files."""


def metric_of(endpoint: str, name: str) -> Metric:
    """The metric a criterion bounds: a run figure for ``endpoint == RUN``, else an endpoint's.

    >>> metric_of(RUN, "queue_lag_max").unit, metric_of("Total", "p95").unit
    ('s', 'ms')
    """
    return RUN_METRICS[name] if endpoint == RUN else METRICS[name]
