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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from loadgate.errors import InputError
from reports.backtest import Backtest, backtest
from reports.plateaus import MIN_STEADY_INTERVALS, SETTLE_INTERVALS, Step, steps_of
from reports.rundata import RunData
<<<<<<< HEAD
from reports.slo_break import SloBreak, p95_break
from reports.usl import UslFit, fit_usl
=======

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
    from reports.latency import values_at

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


def usl(n: np.ndarray | float, lam: float, alpha: float, beta: float) -> np.ndarray:
    """Throughput at concurrency ``n`` under the Universal Scalability Law."""
    n = np.asarray(n, dtype=float)
    return lam * n / (1 + alpha * (n - 1) + beta * n * (n - 1))


@dataclass
class UslFit:
    """Fitted λ, α, β with confidence intervals, and what follows from them."""

    lam: float
    alpha: float
    beta: float
    cov: np.ndarray
    confidence: float
    ci: dict[str, tuple[float, float] | None]
    n_star: float | None
    n_star_ci: tuple[float, float] | None
    x_peak: float | None
    x_peak_ci: tuple[float, float] | None
    r2: float
    n: np.ndarray
    x: np.ndarray
    draws: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 3)))

    def predict(self, n: np.ndarray | float) -> np.ndarray:
        return usl(n, self.lam, self.alpha, self.beta)

    def band(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Pointwise confidence band of the curve (from the parameter draws), or None."""
        if not len(self.draws):
            return None
        curves = usl(n[None, :], self.draws[:, :1], self.draws[:, 1:2], self.draws[:, 2:3])
        tail = (1 - self.confidence) / 2 * 100
        return np.percentile(curves, tail, axis=0), np.percentile(curves, 100 - tail, axis=0)


def fit_usl(n: Sequence[float], x: Sequence[float], confidence: float = 0.95, seed: int = 0) -> UslFit:
    """Fit the USL by least squares with λ > 0, 0 <= α <= 1, β >= 0 (``scipy.optimize.curve_fit``).

    Intervals for λ, α, β come from the covariance (Student t, n − 3 degrees of freedom); those
    of N* and the peak throughput from 4,000 parameter draws from that covariance.

    >>> f = fit_usl([1, 2, 4, 8, 16, 32], [100, 190, 350, 560, 700, 650])
    >>> round(f.n_star)
    23
    """
    from scipy import optimize, stats

    n = np.asarray(n, dtype=float)
    x = np.asarray(x, dtype=float)
    if len(np.unique(n)) < 3:
        raise InputError(
            f"capacity: the USL needs at least 3 concurrency levels, found "
            f"{len(np.unique(n))} ({', '.join(f'{v:g}' for v in np.unique(n))})"
        )
    order = np.argsort(n)
    n, x = n[order], x[order]
    lam0 = float(np.max(x[n == n[0]]) / n[0])
    try:
        popt, pcov = optimize.curve_fit(
            usl,
            n,
            x,
            p0=[lam0, 0.01, 1e-6],
            bounds=([1e-12, 0.0, 0.0], [np.inf, 1.0, np.inf]),
            x_scale="jac",
            maxfev=20_000,
        )
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"capacity: the USL fit did not converge ({exc})") from None
    lam, alpha, beta = (float(v) for v in popt)
    dof = len(n) - 3
    ci: dict[str, tuple[float, float] | None] = {"lam": None, "alpha": None, "beta": None}
    draws = np.zeros((0, 3))
    if dof > 0 and np.all(np.isfinite(pcov)):
        t = stats.t.ppf(1 - (1 - confidence) / 2, dof)
        for i, name in enumerate(("lam", "alpha", "beta")):
            half = t * math.sqrt(max(pcov[i, i], 0.0))
            ci[name] = (max(popt[i] - half, 0.0), popt[i] + half)
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(popt, pcov, size=4000, check_valid="ignore")
        draws[:, 0] = np.maximum(draws[:, 0], 1e-12)
        draws[:, 1] = np.clip(draws[:, 1], 0.0, 1.0)
        draws[:, 2] = np.maximum(draws[:, 2], 0.0)
    residual = x - usl(n, *popt)
    r2 = 1 - float(residual @ residual) / float(((x - x.mean()) ** 2).sum() or 1.0)
    n_star = math.sqrt((1 - alpha) / beta) if beta > 0 and alpha < 1 else None
    x_peak = float(usl(n_star, lam, alpha, beta)) if n_star else None
    n_star_ci = x_peak_ci = None
    if n_star and len(draws):
        live = draws[(draws[:, 2] > 0) & (draws[:, 1] < 1)]
        if len(live) > 0.9 * len(draws):  # else β may well be 0: no interval for a peak
            stars = np.sqrt((1 - live[:, 1]) / live[:, 2])
            peaks = usl(stars, live[:, 0], live[:, 1], live[:, 2])
            tail = (1 - confidence) / 2 * 100
            n_star_ci = (float(np.percentile(stars, tail)), float(np.percentile(stars, 100 - tail)))
            x_peak_ci = (float(np.percentile(peaks, tail)), float(np.percentile(peaks, 100 - tail)))
    return UslFit(
        lam, alpha, beta, pcov, confidence, ci, n_star, n_star_ci, x_peak, x_peak_ci, r2, n, x, draws
    )


BACKTEST_TOLERANCE = 0.10
"""A back-test whose held-out levels are all predicted within this relative error passes."""


@dataclass
class HeldOut:
    """One level left out of the back-test's fit: what was measured, what the fit predicted."""

    users: int
    measured: float
    predicted: float
    band: tuple[float, float] | None

    @property
    def error(self) -> float:
        """Relative out-of-sample error of the prediction: (predicted − measured) / measured."""
        return self.predicted / self.measured - 1 if self.measured else math.inf


@dataclass
class Backtest:
    """The USL fitted on the lower levels only, judged on the top levels it did not see."""

    fit_levels: list[int]
    held_out: list[HeldOut]
    fit: UslFit

    @property
    def max_error(self) -> float:
        return max(abs(h.error) for h in self.held_out)

    @property
    def mean_error(self) -> float:
        return float(np.mean([abs(h.error) for h in self.held_out]))

    def verdict(self) -> str:
        """What the back-test says of the model's predictions, plainly."""
        top = ", ".join(f"{h.users:,}" for h in self.held_out)
        err = f"out-of-sample error {self.mean_error:.1%} mean, {self.max_error:.1%} max"
        wide = [h for h in self.held_out
                if h.band and (h.band[1] - h.band[0]) > 2 * BACKTEST_TOLERANCE * h.predicted]
        if self.max_error <= BACKTEST_TOLERANCE and not wide:
            return (f"back-test: fitted on {len(self.fit_levels)} lower levels, it predicts the held-out "
                    f"top ({top} users) within {BACKTEST_TOLERANCE:.0%}: {err}")
        why = []
        if self.max_error > BACKTEST_TOLERANCE:
            why.append(f"{err}, above {BACKTEST_TOLERANCE:.0%}")
        if wide:
            why.append(f"its interval at {wide[0].users:,} users is wider than ±{BACKTEST_TOLERANCE:.0%}")
        if self.fit.n_star is None or self.fit.n_star > max(self.fit_levels):
            why.append("the lower levels do not reach the peak")
        return (f"back-test: the model cannot predict the top levels ({top} users) from the lower ones: "
                + "; ".join(why) + ". Do not trust its extrapolation beyond the measured range")

    def to_dict(self) -> dict:
        return {
            "fit_levels": self.fit_levels,
            "held_out": [{"users": h.users, "measured": h.measured, "predicted": h.predicted,
                          "band": list(h.band) if h.band else None, "error": h.error} for h in self.held_out],
            "mean_abs_error": self.mean_error,
            "max_abs_error": self.max_error,
            "fit": {"lambda": self.fit.lam, "alpha": self.fit.alpha, "beta": self.fit.beta,
                    "r2": self.fit.r2},
            "verdict": self.verdict(),
        }


def holdout_levels(levels: int) -> int:
    """Top levels to hold out: 2 from 5 levels on, 1 with 4; none below (the fit needs 3)."""
    return 2 if levels >= 5 else 1 if levels == 4 else 0


def backtest(steps: Sequence[Step], confidence: float = 0.95, hold: int | None = None) -> Backtest | None:
    """Fit on all but the top ``hold`` concurrency levels and predict those; None if too few levels."""
    levels = sorted({s.users for s in steps})
    hold = holdout_levels(len(levels)) if hold is None else hold
    if hold <= 0 or len(levels) - hold < 3:
        return None
    cut = levels[-hold]
    low = [s for s in steps if s.users < cut]
    from scipy.optimize import OptimizeWarning

    with warnings.catch_warnings():
        # 3 levels leave no degree of freedom: no covariance, so no band; the prediction stands
        warnings.simplefilter("ignore", category=OptimizeWarning)
        fit = fit_usl([s.users for s in low], [s.throughput for s in low], confidence)
    held = []
    for users in levels[-hold:]:
        measured = float(np.mean([s.throughput for s in steps if s.users == users]))
        band = fit.band(np.array([float(users)]))
        held.append(HeldOut(users, measured, float(fit.predict(users)),
                            (float(band[0][0]), float(band[1][0])) if band else None))
    return Backtest(levels[:-hold], held, fit)


@dataclass
class SloBreak:
    """Where the p95 crosses its SLO limit, interpolated between measured plateaus."""

    limit_ms: float
    users: float | None
    below: Step | None
    above: Step | None
    text: str


def p95_break(steps: Sequence[Step], limit_ms: float) -> SloBreak:
    """The concurrency at which the plateaus' p95 crosses ``limit_ms``, linearly interpolated
    between the last plateau under it and the first over it; never extrapolated."""
    pts = sorted((s for s in steps if s.p95 is not None), key=lambda s: s.users)
    for i, s in enumerate(pts):
        if s.p95 > limit_ms:
            if i == 0:
                return SloBreak(
                    limit_ms,
                    None,
                    None,
                    s,
                    f"p95 {s.p95:,.1f} ms is over the {limit_ms:g} ms limit already at the lowest "
                    f"measured concurrency ({s.users:,}): the break lies below it, unmeasured",
                )
            b = pts[i - 1]
            users = b.users + (limit_ms - b.p95) * (s.users - b.users) / (s.p95 - b.p95)
            return SloBreak(
                limit_ms,
                users,
                b,
                s,
                f"p95 crosses {limit_ms:g} ms at about {users:,.0f} users (interpolated between "
                f"{b.users:,} at {b.p95:,.1f} ms and {s.users:,} at {s.p95:,.1f} ms)",
            )
    top = pts[-1] if pts else None
    text = (
        f"p95 stays under {limit_ms:g} ms up to the highest measured concurrency ({top.users:,}, "
        f"{top.p95:,.1f} ms): where it breaks is not measured"
        if top
        else "no plateau has a p95"
    )
    return SloBreak(limit_ms, None, top, None, text)
>>>>>>> honest


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
