"""The Universal Scalability Law, and its fit to measured throughput against concurrency.

    X(N) = λN / (1 + α(N − 1) + βN(N − 1))

λ is the throughput of one user alone, α the share serialised (contention), β the cost of keeping
copies coherent (crosstalk). With β > 0 throughput peaks at N* = sqrt((1 − α) / β) and then falls.

    >>> float(usl(10, lam=100.0, alpha=0.1, beta=0.01))    # 1000 / (1 + 0.9 + 0.9)
    357.14285714285717
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from loadgate.errors import InputError

Param = float | np.ndarray
"""A USL parameter: one value, or an array of draws that broadcasts against ``n``."""


def usl(n: Param, lam: Param, alpha: Param, beta: Param) -> np.ndarray:
    """Throughput at concurrency ``n`` under the Universal Scalability Law."""
    c = np.asarray(n, dtype=float)
    return lam * c / (1 + alpha * (c - 1) + beta * c * (c - 1))


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


def fit_usl(levels: Sequence[float], throughput: Sequence[float], confidence: float = 0.95,
            seed: int = 0) -> UslFit:
    """Fit the USL by least squares with λ > 0, 0 <= α <= 1, β >= 0 (``scipy.optimize.curve_fit``).

    Intervals for λ, α, β come from the covariance (Student t, n − 3 degrees of freedom); those
    of N* and the peak throughput from 4,000 parameter draws from that covariance.

    >>> f = fit_usl([1, 2, 4, 8, 16, 32], [100, 190, 350, 560, 700, 650])
    >>> round(f.n_star)
    19
    """
    from scipy import optimize, stats

    n = np.asarray(levels, dtype=float)
    x = np.asarray(throughput, dtype=float)
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
