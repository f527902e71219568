"""Baseline comparison: a 10 % slowdown is called a regression, noise is not, and the statistics
behind it match their textbook definitions."""

from __future__ import annotations

import numpy as np
import pytest
from report_helpers import loadgate

from reports.compare import compare_runs, hodges_lehmann
from reports.rundata import RunData
from testsupport.synthetic import Endpoint, write_run

ENDPOINTS = {
    "GET /tasks": Endpoint(rps=60, median_ms=20, sigma=0.5),
    "POST /tasks": Endpoint(rps=15, median_ms=35, sigma=0.6),
}


def _run(tmp_path, name, seed, slowdown=1.0):
    return RunData.open(
        write_run(tmp_path, name, ENDPOINTS, duration_s=300, seed=seed, slowdown=slowdown, corrected=False)
    )


def test_a_candidate_ten_percent_slower_is_a_regression(tmp_path):
    result = compare_runs(_run(tmp_path, "base", 1), _run(tmp_path, "slow", 2, slowdown=1.10))
    assert result.regression
    total = result.find("Total", "p95")
    assert total.verdict == "regression"
    low, high = total.relative_ci
    assert low < 0.10 < high  # the true shift lies in its interval
    assert total.relative == pytest.approx(0.10, abs=0.03)


def test_a_significant_shift_smaller_than_min_effect_is_not_a_regression(tmp_path):
    result = compare_runs(
        _run(tmp_path, "base", 1), _run(tmp_path, "slow", 2, slowdown=1.10), min_effect=0.25
    )
    assert not result.regression
    assert result.find("Total", "p95").verdict == "shift below min_effect"


@pytest.mark.parametrize("seeds", [(1, 2), (3, 4), (5, 6), (7, 8)])
def test_two_runs_of_the_same_distribution_are_not(tmp_path, seeds):
    a, b = _run(tmp_path, "a", seeds[0]), _run(tmp_path, "b", seeds[1])
    result = compare_runs(a, b)
    assert not result.regression
    # Not only the 5 % minimum effect: the test itself finds no significant shift.
    assert all(s.verdict == "no significant shift" for s in compare_runs(a, b, min_effect=0.0).shifts)
    assert all(s.verdict != "regression" for s in result.shifts)


def test_a_run_too_short_to_judge_is_inconclusive_not_a_regression(tmp_path):
    short = {"GET /tasks": Endpoint(rps=5, median_ms=20)}
    a = RunData.open(write_run(tmp_path, "a", short, duration_s=20, seed=1))
    b = RunData.open(write_run(tmp_path, "b", short, duration_s=20, seed=2, slowdown=2.0))
    result = compare_runs(a, b, metrics=("p99",))
    assert not result.regression
    assert all(s.verdict == "inconclusive" and "too few windows" in s.note for s in result.shifts)


def test_hodges_lehmann_is_the_median_of_pairwise_differences_with_the_wilcoxon_interval():
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 1, 23), rng.normal(11, 1, 31)
    diffs = np.sort((b[:, None] - a[None, :]).ravel())
    estimate, low, high = hodges_lehmann(a, b, confidence=0.95)
    assert estimate == pytest.approx(np.median(diffs))
    # Hollander & Wolfe: C = mn/2 - z * sqrt(mn(m+n+1)/12); the interval is [D(C), D(mn+1-C)].
    mn = len(a) * len(b)
    c = int(np.floor(mn / 2 - 1.959964 * np.sqrt(mn * (len(a) + len(b) + 1) / 12)))
    assert (low, high) == (diffs[c - 1], diffs[mn - c])


def test_compare_command_exits_1_on_a_regression_and_0_without(tmp_path):
    base = write_run(tmp_path, "base", ENDPOINTS, duration_s=300, seed=1, corrected=False)
    slow = write_run(tmp_path, "slow", ENDPOINTS, duration_s=300, seed=2, slowdown=1.10, corrected=False)
    same = write_run(tmp_path, "same", ENDPOINTS, duration_s=300, seed=3, corrected=False)
    regressed = loadgate("compare", base, slow)
    assert regressed.returncode == 1, regressed.stderr
    assert "regression" in regressed.stdout and "Total" in regressed.stdout
    clean = loadgate("compare", base, same, "--json")
    assert clean.returncode == 0, clean.stderr
    assert '"regression": false' in clean.stdout
