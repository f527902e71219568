"""The capacity model's own error: fit the USL on the lower levels of a run, predict the held-out top.

    test = backtest(steps)          # None below 4 concurrency levels
    test.verdict()                  # says plainly whether the model can predict, and its error
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reports.plateaus import Step
from reports.usl import UslFit, fit_usl

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
