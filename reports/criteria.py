"""A run's figures against an SLO's criteria, one row each, and the verdict the rows add up to.

    row = judge_criterion(Criterion("Total", "p95", Limit("<=", 250.0)), run.summary, None)
    row.result, row.measured
    ('pass', 4.127)

A percentile backed by too few samples (``loadgate.runformat.figures.min_samples``) is ``invalid``,
never a pass; a relative level without a baseline is ``skipped``. A criterion on a figure of the
whole run (``endpoint == "run"``, ``summary.run_figures``) the run did not measure is ``invalid``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from loadgate.runformat import TOTAL, EndpointSummary, Summary
from reports.compare import Shift
from reports.metrics import AUDIT_DEFAULTS, RUN, metric_of
from reports.slo import Criterion, Limit, Slo

Result = Literal["pass", "warn", "fail", "invalid", "skipped"]
Verdict = Literal["GO", "WARN", "NO-GO", "INVALID"]


@dataclass
class Row:
    """One criterion as judged: what was measured against which limit, and the result."""

    name: str
    endpoint: str
    metric: str
    unit: str
    measured: float | None
    limit: str
    result: Result
    baseline: float | None = None
    delta: float | None = None
    note: str = ""


def figure(summary: Summary, endpoint: str, metric: str) -> tuple[float | None, int, str]:
    """An endpoint's figure for a metric, its sample count, and why it is missing (if it is).

    For ``endpoint == "run"``, the run figure (one measurement: the count is 1).
    """
    if endpoint == RUN:
        value = summary.run_figures.get(metric)
        if value is None:
            why = summary.drain_note if metric == "drain_seconds" and summary.drain_note else (
                f"not measured by this run ({metric} is null or absent in summary.json)")
            return None, 0, why
        return float(value), 1, ""
    stats: EndpointSummary | None = summary.total if endpoint == TOTAL else summary.endpoints.get(endpoint)
    if stats is None or stats.count == 0:
        return None, 0, "no requests recorded"
    if metric == "cache_hit_ratio":
        if stats.cache_hit_ratio is None:
            return None, 0, "no cache lookups recorded"
        return stats.cache_hit_ratio, stats.cache_lookups, ""
    value = getattr(stats, metric)
    return (None if value is None else float(value)), stats.count, ""


def _limit_text(c: Criterion, unit: str) -> str:
    parts = [f"{name} {level.text(unit)}" for name, level in (("fail", c.fail), ("warn", c.warn)) if level]
    return " · ".join(parts)


def _breached(level: Limit | None, measured: float, base: float | None) -> bool | None:
    """True / False, or None when the level cannot be judged (relative, without a baseline)."""
    if level is None:
        return False
    if level.relative and base is None:
        return None
    return not level.holds(measured, base)


def _floor(run: Summary, percentile: float | None, metric: str) -> float | None:
    """What the client stack adds at a latency criterion's percentile (its calibration's p50 up
    to p95, its p99 from p99 and for max), or None for other metrics and uncalibrated runs."""
    if percentile is None and metric != "max":
        return None
    high = metric == "max" or (percentile or 0) >= 99
    return run.floor_p99_ms if high else run.floor_p50_ms


def _beyond_the_wait(c: Criterion, run: Summary) -> tuple[Result, str] | None:
    """A drain limit judged on a run that stopped waiting with a backlog left: the drain took
    longer than the wait, so a limit at or below the wait is crossed; a longer one cannot be told."""
    longer_than = run.drain_exceeded_s if (c.endpoint, c.metric) == (RUN, "drain_seconds") else None
    if longer_than is None:
        return None
    note = f"still draining {longer_than:g} s after the load's stop, when the run stopped waiting"
    levels: list[tuple[Result, Limit | None]] = [("fail", c.fail), ("warn", c.warn)]
    for result, level in levels:
        if level is None:
            continue
        if level.relative or level.value > longer_than:
            return "invalid", f"{note}: raise the scenario's drain_timeout above {level.value:g} s"
        return result, note
    return None


def judge_criterion(c: Criterion, run: Summary, baseline: Summary | None, shift: Shift | None = None) -> Row:
    """One criterion's row. ``shift`` is the per-window comparison for the same endpoint and
    metric: a relative level crossed while the shift is not significant is noise, and is only
    a warning."""
    metric = metric_of(c.endpoint, c.metric)
    row = Row(c.name, c.endpoint, c.metric, metric.unit, None, _limit_text(c, metric.unit), "pass")
    measured, samples, why = figure(run, c.endpoint, c.metric)
    row.measured = measured
    if measured is None:
        row.result, row.note = _beyond_the_wait(c, run) or ("invalid", why)
        return row
    if samples < metric.min_samples:
        row.result = "invalid"
        row.note = f"{c.metric} needs >= {metric.min_samples:,} samples, the run has {samples:,}"
        return row
    floor = _floor(run, metric.percentile, c.metric)
    tight = [lv for lv in (c.fail, c.warn) if lv is not None and not lv.relative and lv.op in ("<=", "<")]
    if floor is not None and any(lv.value <= floor for lv in tight):
        row.result = "invalid"
        row.note = (f"limit tighter than the run's floor: the client stack alone adds {floor:.3g} ms "
                    f"at this percentile (zero-latency calibration)")
        return row
    base = None
    if baseline is not None:
        base, base_samples, why = figure(baseline, c.endpoint, c.metric)
        if c.relative and (base is None or base_samples < metric.min_samples):
            row.result = "invalid"
            row.note = f"baseline: {why or f'too few samples ({base_samples:,}) for {c.metric}'}"
            return row
        if base is not None:
            row.baseline = base
            row.delta = (measured / base - 1) if base else (math.inf if measured else 0.0)
    fail = _breached(c.fail, measured, base)
    warn = _breached(c.warn, measured, base)
    levels = [b for level, b in ((c.fail, fail), (c.warn, warn)) if level is not None]
    if all(b is None for b in levels):
        row.result, row.note = "skipped", "relative limit: needs --baseline"
        return row
    if None in levels:
        row.note = "relative level not judged: needs --baseline"
    row.result = "fail" if fail else "warn" if warn else "pass"
    if row.result == "fail" and c.fail is not None and c.fail.relative and shift is not None:
        if shift.p_value is None:
            row.note = f"no noise check: {shift.note}"
        elif not (shift.significant and (shift.shift or 0.0) > 0):
            row.result = "warn"
            row.note = f"within noise: {shift.verdict} (p={shift.p_adjusted:.2g})"
    return row


def judge_run_criterion(c: Criterion, run: Summary) -> Row:
    """A criterion on a figure of the whole run (``run_figures``): a figure the run did not
    measure (absent, or null) is ``invalid``, never a pass; a drain limit on a run that stopped
    waiting with a backlog left is judged against the wait (:func:`judge_criterion`)."""
    return judge_criterion(c, run, None)


def run_criteria(slo: Slo, audited: bool) -> list[Criterion]:
    """The SLO's run criteria, plus ``lost_writes`` and ``stale_reads`` at most 0 for an auditing
    run whose SLO does not bound them (an audit that cannot fail is no audit)."""
    named = {c.metric for c in slo.run}
    defaults = [Criterion(RUN, name, Limit("<=", limit)) for name, limit in AUDIT_DEFAULTS.items()
                if audited and name not in named]
    return [*slo.run, *defaults]


def shift_row(s: Shift, level: str, min_effect: float) -> Row:
    """The Kayenta-style comparison of one endpoint's metric as a gate row."""
    row = Row(
        f"{s.endpoint} {s.metric} vs baseline",
        s.endpoint,
        f"{s.metric} shift",
        "ms",
        s.candidate_median,
        f"shift < +{min_effect:.0%} or within noise",
        "pass",
        baseline=s.baseline_median,
        delta=s.relative,
    )
    if s.p_value is None:
        row.result, row.note = "skipped", s.note
        return row
    lo, hi = s.relative_ci or (math.nan, math.nan)
    row.note = f"{s.verdict}: {s.relative:+.1%} [{lo:+.1%}, {hi:+.1%}], p={s.p_adjusted:.2g}"
    if s.verdict == "regression":
        row.result = "fail" if level == "fail" else "warn"
    return row


def policy_pairs(slo: Slo) -> list[tuple[str, str]]:
    """(endpoint, metric) pairs the SLO's baseline policy compares: by default ``Total`` and every
    endpoint the SLO names, for each of its metrics."""
    endpoints = slo.baseline.endpoints or list(dict.fromkeys([TOTAL, *slo.endpoints]))
    return [(e, m) for e in endpoints for m in slo.baseline.metrics]


def verdict(rows: list[Row], reasons: list[str]) -> Verdict:
    """INVALID over NO-GO over WARN over GO: an untrustworthy run is never GO."""
    if reasons or any(r.result == "invalid" for r in rows):
        return "INVALID"
    if any(r.result == "fail" for r in rows):
        return "NO-GO"
    if any(r.result == "warn" for r in rows):
        return "WARN"
    return "GO"
