"""Did the candidate get slower than the baseline, beyond noise? Kayenta's canary judgement.

A whole-run p95 is one number and tells nothing about noise. Here each run is cut into windows
of consecutive intervals (enough samples per window for the percentile to mean something), the
percentile is taken per window from the merged histograms, and the two samples of window
percentiles are compared: a Mann-Whitney U test says whether they differ, and the Hodges-Lehmann
estimator (the median of all candidate-minus-baseline differences) says by how much, with its
confidence interval. A regression is a significant shift up of at least ``min_effect`` of the
baseline's median; p-values are Holm-corrected across the endpoints and metrics compared, so
comparing twenty endpoints does not find one regression by chance.

    c = compare_runs(RunData.open("runs/base"), RunData.open("runs/cand"))
    c.regression
    True
    s = c.shifts[0]; (s.endpoint, s.metric, round(s.relative, 3), s.verdict)
    ('Total', 'p95', 0.102, 'regression')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from loadgate.runformat import TOTAL
from reports.latency import LatencyLog
from reports.metrics import METRICS
from reports.rundata import RunData

MIN_WINDOWS = 6
"""Fewer windows than this in either run and the comparison is inconclusive, not a verdict."""
SAMPLES_PER_WINDOW_FACTOR = 2
"""A window holds at least this many times the samples its percentile needs (p95: 40, p99: 200)."""


@dataclass
class Shift:
    """One endpoint's metric, baseline against candidate, over windows of ``window`` intervals."""

    endpoint: str
    metric: str
    window: int = 0
    n_baseline: int = 0
    n_candidate: int = 0
    baseline_median: float | None = None
    candidate_median: float | None = None
    shift: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    verdict: str = "inconclusive"
    note: str = ""

    @property
    def relative(self) -> float | None:
        """The Hodges-Lehmann shift as a fraction of the baseline median."""
        if self.shift is None or not self.baseline_median:
            return None
        return self.shift / self.baseline_median

    @property
    def relative_ci(self) -> tuple[float, float] | None:
        if self.ci_low is None or self.ci_high is None or not self.baseline_median:
            return None
        return self.ci_low / self.baseline_median, self.ci_high / self.baseline_median

    @property
    def significant(self) -> bool:
        return self.verdict in ("regression", "improvement", "shift below min_effect")

    def to_dict(self) -> dict:
        return {**asdict(self), "relative": self.relative, "relative_ci": self.relative_ci}


@dataclass
class Comparison:
    """All shifts between a baseline and a candidate run."""

    baseline: str
    candidate: str
    confidence: float
    min_effect: float
    shifts: list[Shift] = field(default_factory=list)

    @property
    def regression(self) -> bool:
        return any(s.verdict == "regression" for s in self.shifts)

    def find(self, endpoint: str, metric: str) -> Shift | None:
        return next((s for s in self.shifts if s.endpoint == endpoint and s.metric == metric), None)

    def to_dict(self) -> dict:
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "confidence": self.confidence,
            "min_effect": self.min_effect,
            "regression": self.regression,
            "shifts": [s.to_dict() for s in self.shifts],
        }


def _kth_difference(a_sorted: np.ndarray, b: np.ndarray, k: int) -> float:
    """The k-th smallest (1-based) of all differences ``b[j] - a[i]``, without building them all.

    Bisection on the value: the number of differences at or below ``d`` is a sum of binary
    searches, so memory stays O(m + n) even for hours of windows.
    """
    m = len(a_sorted)

    def at_most(d: float) -> int:
        return int(np.sum(m - np.searchsorted(a_sorted, b - d, side="left")))

    # Invariant: fewer than k differences are <= lo, at least k are <= hi.
    lo, hi = float(b.min() - a_sorted[-1]) - 1.0, float(b.max() - a_sorted[0])
    while True:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if at_most(mid) >= k:
            hi = mid
        else:
            lo = mid
    # The answer is the smallest actual difference above lo (exact, not a bisection artefact).
    i = np.searchsorted(a_sorted, b - lo, side="left") - 1
    ok = i >= 0
    return float(np.min(b[ok] - a_sorted[i[ok]]))


def hodges_lehmann(
    baseline: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Shift of ``candidate`` over ``baseline`` (median of pairwise differences) and its CI.

    The interval is the distribution-free one that inverts the Mann-Whitney test (normal
    approximation of U: Hollander & Wolfe), as R's ``wilcox.test(conf.int=TRUE)`` gives.

    >>> hodges_lehmann([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])[0]
    2.0
    """
    a = np.sort(np.asarray(baseline, dtype=float))
    b = np.asarray(candidate, dtype=float)
    m, n = len(a), len(b)
    mn = m * n
    mid_lo, mid_hi = (mn + 1) // 2, (mn + 2) // 2
    estimate = (_kth_difference(a, b, mid_lo) + _kth_difference(a, b, mid_hi)) / 2
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    c = int(math.floor(mn / 2 - z * math.sqrt(mn * (m + n + 1) / 12)))
    c = min(max(c, 1), mn)
    return estimate, _kth_difference(a, b, c), _kth_difference(a, b, mn - c + 1)


def window_size(baseline: LatencyLog, candidate: LatencyLog, endpoint: str, metric: str) -> int:
    """Intervals per window so that a typical window holds enough samples for the percentile."""
    need = METRICS[metric].min_samples * SAMPLES_PER_WINDOW_FACTOR
    medians = []
    for log in (baseline, candidate):
        counts = log.over_time(endpoint, percentiles=())["count"]
        medians.append(float(counts.median()) if len(counts) else 0.0)
    per_interval = min(medians)
    if per_interval <= 0:
        return 0
    return max(1, math.ceil(need / per_interval))


def window_values(log: LatencyLog, endpoint: str, metric: str, size: int) -> np.ndarray:
    """The metric (ms) per window, leaving out windows too thin to hold it (a partial last one)."""
    q = METRICS[metric].percentile
    if q is None:
        raise ValueError(f"{metric} is not a percentile: windows compare percentiles only")
    frame = log.windows(endpoint, size, percentiles=(q,))
    if frame.empty:
        return np.zeros(0)
    full = frame["count"] >= max(METRICS[metric].min_samples, 0.5 * frame["count"].median())
    return frame.loc[full].iloc[:, 1].to_numpy(dtype=float)


def compare_shift(
    baseline: LatencyLog, candidate: LatencyLog, endpoint: str, metric: str, confidence: float = 0.95
) -> Shift:
    """One endpoint's metric compared (verdict not yet Holm-adjusted: see :func:`compare_runs`)."""
    shift = Shift(endpoint, metric)
    size = window_size(baseline, candidate, endpoint, metric)
    if not size:
        shift.note = "no samples in one of the runs"
        return shift
    a = window_values(baseline, endpoint, metric, size)
    b = window_values(candidate, endpoint, metric, size)
    shift.window, shift.n_baseline, shift.n_candidate = size, len(a), len(b)
    if min(len(a), len(b)) < MIN_WINDOWS:
        shift.note = (
            f"too few windows to compare ({len(a)} and {len(b)} of {size} interval(s); "
            f"need {MIN_WINDOWS} each)"
        )
        return shift
    shift.baseline_median, shift.candidate_median = float(np.median(a)), float(np.median(b))
    shift.shift, shift.ci_low, shift.ci_high = hodges_lehmann(a, b, confidence)
    shift.p_value = float(stats.mannwhitneyu(b, a, alternative="two-sided").pvalue)
    return shift


def judge(shifts: list[Shift], confidence: float, min_effect: float) -> None:
    """Holm-correct the p-values of the conclusive shifts and name each one's verdict, in place."""
    tested = sorted((s for s in shifts if s.p_value is not None), key=lambda s: s.p_value or 0.0)
    alpha = 1 - confidence
    running = 0.0
    for rank, s in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * (s.p_value or 0.0)))
        s.p_adjusted = running
        rel = s.relative or 0.0
        if s.p_adjusted >= alpha:
            s.verdict = "no significant shift"
        elif abs(rel) < min_effect:
            s.verdict = "shift below min_effect"
        else:
            s.verdict = "regression" if rel > 0 else "improvement"


def compare_runs(
    baseline: RunData,
    candidate: RunData,
    endpoints: Sequence[str] | None = None,
    metrics: Sequence[str] = ("p95", "p99"),
    confidence: float = 0.95,
    min_effect: float = 0.05,
) -> Comparison:
    """Compare per-window percentiles of ``candidate`` with ``baseline``.

    ``endpoints`` defaults to ``Total`` and every endpoint both runs recorded.
    """
    if endpoints is None:
        common = set(baseline.raw.endpoints) & set(candidate.raw.endpoints)
        endpoints = [TOTAL, *sorted(common)]
    out = Comparison(baseline.name, candidate.name, confidence, min_effect)
    for endpoint in endpoints:
        for metric in metrics:
            out.shifts.append(compare_shift(baseline.raw, candidate.raw, endpoint, metric, confidence))
    judge(out.shifts, confidence, min_effect)
    return out
