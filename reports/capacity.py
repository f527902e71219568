"""How far does it scale? The Universal Scalability Law fitted to throughput against concurrency.

The law and its fit are in ``reports.usl``, the plateaus in ``reports.plateaus``, where the p95
crosses its limit in ``reports.slo_break``; this module puts them together and says what they mean.
The points come from the plateaus of a steps run (each level held for a while: its steady
throughput from ``timeline.jsonl``, its p95 from the merged interval histograms), or from several
runs at different levels:

    result = analyse([RunData.open("runs/capacity-steps")], p95_limit_ms=250)
    result.fit.n_star, result.fit.ci["beta"]
    (1412.3, (0.000041, 0.000062))
    print("\\n".join(result.lines()))
    N* = 1,412 [1,201, 1,690] is 1.4× the highest measured concurrency (1,000): extrapolation
    ...
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from loadgate.errors import InputError
from reports.backtest import Backtest, backtest
from reports.plateaus import MIN_STEADY_INTERVALS, SETTLE_INTERVALS, Step, steps_of
from reports.rundata import RunData
from reports.slo_break import SloBreak, p95_break
from reports.usl import UslFit, fit_usl


def range_note(value: float, lo: float, hi: float, what: str) -> str:
    """Say plainly whether ``value`` lies inside the measured concurrency range [lo, hi].

    >>> range_note(4200, 10, 1000, "N*")
    'N* = 4,200 is 4.2× the highest measured concurrency (1,000): extrapolation'
    """
    if value > hi:
        return (
            f"{what} = {value:,.0f} is {value / hi:.1f}× the highest measured concurrency ({hi:,.0f}): "
            "extrapolation"
        )
    if value < lo:
        return f"{what} = {value:,.0f} is below the lowest measured concurrency ({lo:,.0f}): extrapolation"
    return f"{what} = {value:,.0f} lies within the measured range ({lo:,.0f}–{hi:,.0f}): interpolation"


@dataclass
class CapacityResult:
    """Plateaus, the USL fit over them, and the p95 SLO break."""

    steps: list[Step]
    fit: UslFit | None
    slo_break: SloBreak | None
    notes: list[str]
    backtest: Backtest | None = None

    @property
    def measured_range(self) -> tuple[int, int]:
        users = [s.users for s in self.steps]
        return min(users), max(users)

    def capacity_rps(self) -> tuple[float, str]:
        """Throughput the measured deployment holds, and where the figure comes from: at the p95
        break if measured, else the USL peak if within the measured range, else the best plateau."""
        lo, hi = self.measured_range
        if self.slo_break and self.slo_break.users is not None and self.fit:
            return float(self.fit.predict(self.slo_break.users)), "throughput where p95 meets its SLO"
        if self.fit and self.fit.n_star and lo <= self.fit.n_star <= hi:
            return float(self.fit.x_peak or 0.0), "USL peak throughput (within the measured range)"
        best = max(self.steps, key=lambda s: s.throughput)
        return best.throughput, "highest measured plateau throughput"

    def lines(self) -> list[str]:
        """The result in plain sentences (what the CLI prints)."""
        out = []
        lo, hi = self.measured_range
        out.append(f"{len(self.steps)} plateaus from {lo:,} to {hi:,} users")
        if self.fit:
            f = self.fit
            pct = f"{f.confidence:.0%}"

            def ci(name: str, fmt: str) -> str:
                c = f.ci[name]
                return f" [{format(c[0], fmt)}, {format(c[1], fmt)}]" if c else ""

            out.append(
                f"USL fit (R² {f.r2:.3f}, {pct} intervals): λ = {f.lam:,.2f}{ci('lam', ',.2f')} rps/user, "
                f"α = {f.alpha:.4f}{ci('alpha', '.4f')}, β = {f.beta:.3g}{ci('beta', '.3g')}"
            )
            if f.n_star:
                band = f" [{f.n_star_ci[0]:,.0f}, {f.n_star_ci[1]:,.0f}]" if f.n_star_ci else ""
                out.append(range_note(f.n_star, lo, hi, "N*") + (f" (interval{band})" if band else ""))
                peak_band = f" [{f.x_peak_ci[0]:,.0f}, {f.x_peak_ci[1]:,.0f}]" if f.x_peak_ci else ""
                out.append(f"predicted peak throughput X(N*) = {f.x_peak:,.0f}{peak_band} rps")
            else:
                limit = f.lam / f.alpha if f.alpha > 0 else math.inf
                out.append(
                    f"β = 0: no retrograde region measured; throughput levels off towards λ/α = "
                    f"{limit:,.0f} rps, with no peak to predict"
                )
        if self.backtest:
            out.append(self.backtest.verdict())
        elif self.fit:
            out.append("no back-test: it needs 4 or more concurrency levels (3 to fit, 1 to predict)")
        if self.slo_break:
            out.append(self.slo_break.text)
        out.extend(self.notes)
        return out

    def to_dict(self) -> dict:
        f = self.fit
        return {
            "steps": [s.__dict__ for s in self.steps],
            "fit": None
            if f is None
            else {
                "lambda": f.lam,
                "alpha": f.alpha,
                "beta": f.beta,
                "confidence": f.confidence,
                "ci": {k: list(v) if v else None for k, v in f.ci.items()},
                "r2": f.r2,
                "n_star": f.n_star,
                "n_star_ci": list(f.n_star_ci) if f.n_star_ci else None,
                "x_peak": f.x_peak,
                "x_peak_ci": list(f.x_peak_ci) if f.x_peak_ci else None,
            },
            "p95_break": None
            if self.slo_break is None
            else {
                "limit_ms": self.slo_break.limit_ms,
                "users": self.slo_break.users,
                "text": self.slo_break.text,
            },
            "backtest": self.backtest.to_dict() if self.backtest else None,
            "lines": self.lines(),
        }


def analyse(
    runs: Sequence[RunData], p95_limit_ms: float | None = None, confidence: float = 0.95
) -> CapacityResult:
    """Plateaus of all ``runs`` together, the USL fitted over them, and the p95 break."""
    steps = sorted((s for run in runs for s in steps_of(run)), key=lambda s: (s.users, s.run))
    if not steps:
        names = ", ".join(r.name for r in runs)
        raise InputError(
            f"capacity: no plateau (a level of users held for {MIN_STEADY_INTERVALS + SETTLE_INTERVALS}"
            f" intervals or more) in {names}"
        )
    notes = []
    invalid = [r.name for r in runs if not r.summary.validity.valid]
    if invalid:
        notes.append(
            f"warning: invalid run(s) {', '.join(invalid)}: their throughput may measure the generator"
        )
    fit = None
    if len({s.users for s in steps}) >= 3:
        fit = fit_usl([s.users for s in steps], [s.throughput for s in steps], confidence)
    else:
        notes.append(f"no USL fit: {len({s.users for s in steps})} concurrency level(s); it needs 3 or more")
    brk = p95_break(steps, p95_limit_ms) if p95_limit_ms is not None else None
    test = backtest(steps, confidence) if fit is not None else None
    return CapacityResult(steps, fit, brk, notes, test)
