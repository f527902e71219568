"""The gate: a run against its SLO (and optionally a baseline run), ending in a verdict.

    result = gate("runs/20261128-130000-smoke")           # the SLO named in meta.json
    result.verdict, result.exit_code
    ('GO', 0)
    [(c.name, c.result) for c in result.criteria][:2]
    [('Total p95', 'pass'), ('Total error_rate', 'pass')]
    loadgate.console.print_gate(result)                  # the CLI prints it: a rich table

Verdicts: GO (every criterion passes), WARN (some warn level is crossed), NO-GO (some fail level
is crossed, or a real regression against the baseline), INVALID (the run cannot be trusted:
invalid or interrupted, or too few samples for a percentile the SLO asks about). An invalid run
is never GO. The gate writes ``verdict.json`` and ``junit.xml`` into the run directory. Each row
is judged in ``reports.criteria``, the JUnit file written by ``reports.junit``, and the verdict's
exit code is ``loadgate.errors.VERDICT_EXIT_CODES``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from loadgate.errors import EXIT_GO, VERDICT_EXIT_CODES, InputError
from loadgate.runformat import write_json_atomic
from reports.audit import audits
from reports.compare import Comparison, Shift, compare_shift, judge
from reports.criteria import (
    Row,
    Verdict,
    judge_criterion,
    judge_run_criterion,
    policy_pairs,
    run_criteria,
    shift_row,
    verdict,
)
from reports.junit import JUNIT_FILE, write_junit
from reports.metrics import metric_of
from reports.rundata import RunData
from reports.slo import Slo, load_slo

VERDICT_FILE = "verdict.json"
__all__ = ["JUNIT_FILE", "VERDICT_FILE", "GateResult", "evaluate", "gate"]


@dataclass
class GateResult:
    """The verdict on one run, with one row per criterion."""

    run_dir: Path
    run_id: str
    slo_file: Path
    baseline_dir: Path | None
    verdict: Verdict
    criteria: list[Row]
    reasons: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    warn_ok: bool = False

    @property
    def exit_code(self) -> int:
        """The verdict as an exit code: 0 GO, 1 NO-GO, 3 WARN (0 with ``warn_ok``), 4 INVALID."""
        if self.verdict == "WARN" and self.warn_ok:
            return EXIT_GO
        return VERDICT_EXIT_CODES[self.verdict]

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


def evaluate(run: RunData, slo: Slo, baseline: RunData | None = None) -> GateResult:
    """Judge ``run`` against ``slo`` (and ``baseline``) without writing anything."""
    summary = run.summary
    slo.check_endpoints(set(summary.endpoints))
    reasons = [f"run: {r}" for r in summary.validity.reasons]
    if run.meta.interrupted and not any("interrupted" in r for r in reasons):
        reasons.append("run: interrupted")
    comparison = None
    shifts: dict[tuple[str, str], Shift] = {}
    base_summary = baseline.summary if baseline is not None else None
    if baseline is not None and base_summary is not None:
        reasons += [f"baseline: {r}" for r in base_summary.validity.reasons]
        policy = slo.baseline
        # Relative percentile criteria get a noise check too; all comparisons share one Holm family.
        noise = [
            (c.endpoint, c.metric)
            for c in slo.criteria
            if c.relative and metric_of(c.endpoint, c.metric).percentile is not None
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
    rows += [judge_run_criterion(c, summary) for c in run_criteria(slo, audits(run.meta))]
    if comparison is not None and slo.baseline.regression != "off":
        rows += [shift_row(s, slo.baseline.regression, slo.baseline.min_effect) for s in comparison.shifts]
    return GateResult(
        run.path,
        run.name,
        slo.path,
        baseline.path if baseline else None,
        verdict(rows, reasons),
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
