"""The gate: a run against its SLO (and optionally a baseline run), ending in a verdict.

    >>> result = gate("runs/20261128-130000-smoke")           # the SLO named in meta.json
    >>> result.verdict, result.exit_code
    ('GO', 0)
    >>> [(c.name, c.result) for c in result.criteria][:2]
    [('Total p95', 'pass'), ('Total error_rate', 'pass')]
    >>> loadgate.console.print_gate(result)                  # the CLI prints it: a rich table

Verdicts: GO (every criterion passes), WARN (some warn level is crossed), NO-GO (some fail level
is crossed, or a real regression against the baseline), INVALID (the run cannot be trusted:
invalid or interrupted, or too few samples for a percentile the SLO asks about). An invalid run
is never GO. The gate writes ``verdict.json`` and ``junit.xml`` into the run directory.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from loadgate.errors import EXIT_GO, EXIT_INVALID, EXIT_NO_GO, EXIT_WARN, InputError
from loadgate.runformat import TOTAL, EndpointSummary, Summary, write_atomic, write_json_atomic
from reports.compare import Comparison, Shift, compare_shift, judge
from reports.rundata import RunData
from reports.slo import METRICS, Criterion, Limit, Slo, load_slo

VERDICT_FILE = "verdict.json"
JUNIT_FILE = "junit.xml"
EXIT_CODES = {"GO": EXIT_GO, "NO-GO": EXIT_NO_GO, "WARN": EXIT_WARN, "INVALID": EXIT_INVALID}
Result = Literal["pass", "warn", "fail", "invalid", "skipped"]


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


@dataclass
class GateResult:
    """The verdict on one run, with one row per criterion."""

    run_dir: Path
    run_id: str
    slo_file: Path
    baseline_dir: Path | None
    verdict: Literal["GO", "WARN", "NO-GO", "INVALID"]
    criteria: list[Row]
    reasons: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    warn_ok: bool = False

    @property
    def exit_code(self) -> int:
        """The verdict as an exit code: 0 GO, 1 NO-GO, 3 WARN (0 with ``warn_ok``), 4 INVALID."""
        if self.verdict == "WARN" and self.warn_ok:
            return EXIT_GO
        return EXIT_CODES[self.verdict]

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "run_dir": str(self.run_dir),
            "slo_file": str(self.slo_file),
            "baseline_dir": str(self.baseline_dir) if self.baseline_dir else None,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "reasons": self.reasons,
            "criteria": [asdict(r) for r in self.criteria],
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }


def figure(summary: Summary, endpoint: str, metric: str) -> tuple[float | None, int, str]:
    """An endpoint's figure for a metric, its sample count, and why it is missing (if it is)."""
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


def judge_criterion(c: Criterion, run: Summary, baseline: Summary | None, shift: Shift | None = None) -> Row:
    """One criterion's row. ``shift`` is the per-window comparison for the same endpoint and
    metric: a relative level crossed while the shift is not significant is noise, and is only
    a warning."""
    metric = METRICS[c.metric]
    row = Row(c.name, c.endpoint, c.metric, metric.unit, None, _limit_text(c, metric.unit), "pass")
    measured, samples, why = figure(run, c.endpoint, c.metric)
    row.measured = measured
    if measured is None:
        row.result, row.note = "invalid", why
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
    if row.result == "fail" and c.fail.relative and shift is not None:
        if shift.p_value is None:
            row.note = f"no noise check: {shift.note}"
        elif not (shift.significant and shift.shift > 0):
            row.result = "warn"
            row.note = f"within noise: {shift.verdict} (p={shift.p_adjusted:.2g})"
    return row


def _shift_row(s: Shift, level: str, min_effect: float) -> Row:
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
    lo, hi = s.relative_ci
    row.note = f"{s.verdict}: {s.relative:+.1%} [{lo:+.1%}, {hi:+.1%}], p={s.p_adjusted:.2g}"
    if s.verdict == "regression":
        row.result = "fail" if level == "fail" else "warn"
    return row


def policy_pairs(slo: Slo) -> list[tuple[str, str]]:
    """(endpoint, metric) pairs the SLO's baseline policy compares: by default ``Total`` and every
    endpoint the SLO names, for each of its metrics."""
    endpoints = slo.baseline.endpoints or list(dict.fromkeys([TOTAL, *slo.endpoints]))
    return [(e, m) for e in endpoints for m in slo.baseline.metrics]


def _verdict(rows: list[Row], reasons: list[str]) -> str:
    if reasons or any(r.result == "invalid" for r in rows):
        return "INVALID"
    if any(r.result == "fail" for r in rows):
        return "NO-GO"
    if any(r.result == "warn" for r in rows):
        return "WARN"
    return "GO"


def evaluate(run: RunData, slo: Slo, baseline: RunData | None = None) -> GateResult:
    """Judge ``run`` against ``slo`` (and ``baseline``) without writing anything."""
    summary = run.summary
    slo.check_endpoints(set(summary.endpoints))
    base_summary = baseline.summary if baseline is not None else None
    reasons = [f"run: {r}" for r in summary.validity.reasons]
    if run.meta.interrupted and not any("interrupted" in r for r in reasons):
        reasons.append("run: interrupted")
    comparison = None
    shifts: dict[tuple[str, str], Shift] = {}
    if baseline is not None:
        reasons += [f"baseline: {r}" for r in base_summary.validity.reasons]
        policy = slo.baseline
        # Relative percentile criteria get a noise check too; all comparisons share one Holm family.
        noise = [
            (c.endpoint, c.metric)
            for c in slo.criteria
            if c.relative and METRICS[c.metric].percentile is not None
        ]
        for endpoint, metric in dict.fromkeys([*policy_pairs(slo), *noise]):
            shifts[(endpoint, metric)] = compare_shift(
                baseline.raw, run.raw, endpoint, metric, policy.confidence
            )
        judge(list(shifts.values()), policy.confidence, policy.min_effect)
        comparison = Comparison(
            baseline.name,
            run.name,
            policy.confidence,
            policy.min_effect,
            [shifts[p] for p in policy_pairs(slo)],
        )
    rows = [
        judge_criterion(c, summary, base_summary, shifts.get((c.endpoint, c.metric))) for c in slo.criteria
    ]
    if comparison is not None and slo.baseline.regression != "off":
        rows += [_shift_row(s, slo.baseline.regression, slo.baseline.min_effect) for s in comparison.shifts]
    return GateResult(
        run.path,
        run.name,
        slo.path,
        baseline.path if baseline else None,
        _verdict(rows, reasons),
        rows,
        reasons,
        comparison,
    )


def gate(
    run_dir: Path | str,
    slo_file: Path | str | None = None,
    baseline_dir: Path | str | None = None,
    warn_ok: bool = False,
    write: bool = True,
) -> GateResult:
    """Judge a run directory and write ``verdict.json`` and ``junit.xml`` into it (atomically).

    ``slo_file`` defaults to the SLO the run's ``meta.json`` names. Bad input (a missing or
    corrupt file, an unknown endpoint, a malformed criterion) raises an ``InputError`` before
    anything is written.
    """
    run = RunData.open(run_dir)
    path = Path(slo_file) if slo_file else run.slo_path()
    if path is None:
        raise InputError(f"{run.path}: no SLO given and meta.json names none; pass --slo FILE")
    slo = load_slo(path)
    baseline = RunData.open(baseline_dir) if baseline_dir else None
    result = evaluate(run, slo, baseline)
    result.warn_ok = warn_ok
    if write:
        write_json_atomic(run.path / VERDICT_FILE, result.to_dict())
        write_junit(run.path / JUNIT_FILE, result)
    return result


def junit_tree(result: GateResult) -> ET.ElementTree:
    """JUnit XML: one testcase per criterion (failures for NO-GO rows, errors for invalid ones)."""
    cases = [("run", "validity", "invalid" if result.reasons else "pass", "; ".join(result.reasons))]
    cases += [(r.endpoint, r.name, r.result, _row_message(r)) for r in result.criteria]
    suite = ET.Element(
        "testsuite",
        {
            "name": f"loadgate gate {result.run_id}",
            "tests": str(len(cases)),
            "failures": str(sum(c[2] == "fail" for c in cases)),
            "errors": str(sum(c[2] == "invalid" for c in cases)),
            "skipped": str(sum(c[2] == "skipped" for c in cases)),
        },
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"), "property", {"name": "verdict", "value": result.verdict}
    )
    for classname, name, outcome, message in cases:
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": name})
        if outcome == "fail":
            ET.SubElement(case, "failure", {"message": message, "type": "NO-GO"}).text = message
        elif outcome == "invalid":
            ET.SubElement(case, "error", {"message": message, "type": "INVALID"}).text = message
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", {"message": message})
        elif outcome == "warn":
            ET.SubElement(case, "system-out").text = f"WARN: {message}"
    root = ET.Element("testsuites", {"name": "loadgate"})
    root.append(suite)
    ET.indent(root)
    return ET.ElementTree(root)


def _row_message(r: Row) -> str:
    measured = "n/a" if r.measured is None else format_value(r.measured, r.unit)
    text = f"{r.name}: measured {measured}, limit {r.limit}"
    if r.baseline is not None:
        text += f", baseline {format_value(r.baseline, r.unit)}"
    return f"{text} ({r.note})" if r.note else text


def write_junit(path: Path, result: GateResult) -> None:
    """Write the JUnit XML atomically."""
    buf = io.BytesIO()
    junit_tree(result).write(buf, encoding="utf-8", xml_declaration=True)
    write_atomic(path, buf.getvalue())


def format_value(value: float | None, unit: str) -> str:
    """``12.3 ms``, ``98.2%``, ``1,204.5 rps``; ``n/a`` for None.

    >>> format_value(0.0123, "ratio"), format_value(4.127, "ms")
    ('1.23%', '4.13 ms')
    """
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "rps":
        return f"{value:,.1f} rps"
    return f"{value:,.2f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
